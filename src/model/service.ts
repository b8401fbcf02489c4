// Service: one virtual service (struct ip_vs_service, include/net/ip_vs.h).

import type { Dest } from './dest.ts';
import { type Inet6, inet6Fold, inet6Zero } from '../lib/inet6.ts';
import type { Scheduler } from './scheduler.ts';
import { SynproxySvcState } from './synproxy-state.ts';

/** svc->flags (include/uapi/linux/ip_vs.h). */
export const SVC_F_PERSISTENT = 0x0001;
export const SVC_F_HASHED = 0x0002;
export const SVC_F_ONEPACKET = 0x0004;
/** Scheduler flags (-b), IP_VS_SVC_F_SCHED1..3; named per scheduler (sh-fallback, sh-port, mh-...). */
export const SVC_F_SCHED1 = 0x0008;
export const SVC_F_SCHED2 = 0x0010;
export const SVC_F_SCHED3 = 0x0020;

export class Service {
  af: number;
  protocol: number;
  /**
   * Virtual address: IPv4 as uint32; for AF_INET6 the fold of addr6 (the kernel's 32-bit hash
   * input), so hashes and tables keyed by `addr` need no branch, and equality checks addr6 too.
   */
  addr: number;
  /** AF_INET6: the virtual address's four words (src/lib/inet6.ts); all zero for AF_INET. */
  readonly addr6: Inet6;
  port: number;
  /** -f firewall mark service (0 = address service). */
  fwmark: number;
  flags: number;
  /** Persistence timeout in seconds (-p), meaningful when SVC_F_PERSISTENT. */
  timeoutSec: number;
  /** -M persistence netmask: IPv4 as uint32 (default 255.255.255.255); AF_INET6 a prefix length (default 128). */
  netmask: number;
  schedName: string;
  /**
   * Real servers in scan order: index 0 is the list head, i.e. the most recently added
   * (list_add_rcu in __ip_vs_update_dest). ipvsadm -L sorts for display only.
   */
  dests: Dest[];
  sched: Scheduler;
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
  /** TCP connections of this service still in their handshake (EmbryonicList keeps it). */
  embryonic: number;
  /** The SYN proxy's automatic mode (src/datapath/synproxy.ts). */
  readonly synproxy: SynproxySvcState;

  constructor(
    af: number,
    protocol: number,
    addr: number,
    port: number,
    fwmark: number,
    schedName: string,
    sched: Scheduler,
    addr6?: Inet6,
  ) {
    this.af = af;
    this.protocol = protocol;
    this.addr6 = inet6Zero();
    if (addr6 !== undefined) this.addr6.set(addr6);
    this.addr = addr6 !== undefined ? inet6Fold(this.addr6) : addr >>> 0;
    this.port = port;
    this.fwmark = fwmark;
    this.flags = 0;
    this.timeoutSec = 0;
    this.netmask = addr6 !== undefined ? 128 : 0xffffffff;
    this.schedName = schedName;
    this.dests = [];
    this.sched = sched;
    this.conns = 0;
    this.inPkts = 0;
    this.outPkts = 0;
    this.inBytes = 0;
    this.outBytes = 0;
    this.embryonic = 0;
    this.synproxy = new SynproxySvcState();
  }
}
