// Rule specs: what one -A/-E or -a/-e command asks for (struct ip_vs_service_user_kern and
// struct ip_vs_dest_user_kern in include/net/ip_vs.h), plain data with no live state.

import { AF_INET, AF_INET6, FWD_FULLNAT, FWD_LOCAL, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from './dest.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { formatInet6, type Inet6 } from '../lib/inet6.ts';

/** Identifies a virtual service: <protocol, addr, port> or a firewall mark (fwmark != 0). */
export interface ServiceKey {
  readonly af: number;
  readonly protocol: number;
  /** IPv4 uint32, host order; 0 for fwmark services; for AF_INET6 the fold of addr6 (inet6Fold). */
  readonly addr: number;
  /** AF_INET6 only: the address's four words (src/lib/inet6.ts); absent or ignored for AF_INET. */
  readonly addr6?: Inet6;
  readonly port: number;
  readonly fwmark: number;
}

export interface ServiceSpec extends ServiceKey {
  readonly schedName: string;
  /** SVC_F_* bits (persistent, one-packet, sched flags). */
  readonly flags: number;
  /** Persistence timeout in seconds (meaningful with SVC_F_PERSISTENT). */
  readonly timeoutSec: number;
  /** Persistence netmask: IPv4 uint32 host order; AF_INET6 a prefix length 1..128 (ipvsadm's -M). */
  readonly netmask: number;
  /** --pe persistence engine name; '' = none (tsvs has no engines: any name is ENOENT). */
  readonly peName: string;
}

export interface DestSpec {
  /** The real server's family: the service's, or the other one for tunnel forwarding (ip_vs_ctl.c). */
  readonly af: number;
  /** IPv4 uint32 host order; for AF_INET6 the fold of addr6. */
  readonly addr: number;
  /** AF_INET6 only: the real server's four words. */
  readonly addr6?: Inet6;
  readonly port: number;
  /** FWD_* forwarding method. */
  readonly fwd: number;
  readonly weight: number;
  readonly uThreshold: number;
  readonly lThreshold: number;
  /** -i only (struct ip_vs_dest_user's tun_type, tun_port, tun_flags): TUN_TYPE_*, 0 = ipip. */
  readonly tunType?: number;
  /** GUE's UDP destination port, 0 for ipip. */
  readonly tunPort?: number;
  /** TUN_F_*: 0 = no checksum. */
  readonly tunFlags?: number;
}

/** A service and its real servers, as -S prints and -R reads them. */
export interface ServiceRule {
  readonly service: ServiceSpec;
  /** In the order they should be added back (the order -S prints them). */
  readonly dests: readonly DestSpec[];
}

/** Persistence timeout when -p has no value (IPVS_SVC_PERSISTENT_TIMEOUT, libipvs.h). */
export const DEFAULT_PERSISTENT_TIMEOUT_SEC = 300;
/** ipvsadm's DEF_SCHED. */
export const DEFAULT_SCHED = 'wlc';

export function serviceKey(af: number, protocol: number, addr: number, port: number, fwmark: number): ServiceKey {
  return { af, protocol, addr: addr >>> 0, port, fwmark };
}

/**
 * A service's identity as a string key (ip_vs_service_find / ip_vs_svc_fwm_find): a firewall-mark
 * service is its family and mark, any other its family, protocol, address and port.
 */
export function serviceIdentity(k: ServiceKey): string {
  if (k.fwmark !== 0) return `f${k.af}/${k.fwmark}`;
  return `${k.af}/${k.protocol}/${addrText(k.af, k.addr, k.addr6)}/${k.port}`;
}

/** An address as inet_ntop(af) prints it: dotted quad, or IPv6 text from the four words. */
export function addrText(af: number, addr: number, addr6: Inet6 | undefined): string {
  if (af === AF_INET6) return addr6 === undefined ? '::' : formatInet6(addr6);
  return ipToString(addr);
}

/** "addr:port" as ipvsadm's addrport_to_anyname() prints it numerically: IPv6 in brackets. */
export function addrPortText(af: number, addr: number, addr6: Inet6 | undefined, port: number): string {
  return af === AF_INET6 ? `[${addrText(af, addr, addr6)}]:${port}` : `${ipToString(addr)}:${port}`;
}

/** ip_vs_proto_name() in ip_vs_proto.c, as printed by -L and /proc/net/ip_vs_conn. */
export function protocolName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_TCP:
      return 'TCP';
    case IPPROTO_UDP:
      return 'UDP';
    case IPPROTO_SCTP:
      return 'SCTP';
    default:
      return '?';
  }
}

/** Human-readable service identity for log lines and our own messages. */
export function describeServiceKey(k: ServiceKey): string {
  if (k.fwmark !== 0) return k.af === AF_INET6 ? `FWM ${k.fwmark} IPv6` : `FWM ${k.fwmark}`;
  return `${protocolName(k.protocol)} ${addrPortText(k.af, k.addr, k.addr6, k.port)}`;
}

/** fwd_name() in ipvsadm.c (plus "FullNat", the label Alibaba's FULLNAT kernel and DPVS use). */
export function fwdName(fwd: number): string {
  switch (fwd) {
    case FWD_MASQ:
      return 'Masq';
    case FWD_LOCAL:
      return 'Local';
    case FWD_TUNNEL:
      return 'Tunnel';
    case FWD_ROUTE:
      return 'Route';
    case FWD_FULLNAT:
      return 'FullNat';
    default:
      return '';
  }
}

export const DEFAULT_AF = AF_INET;
