// Dest: one real server of a virtual service (struct ip_vs_dest, include/net/ip_vs.h).
// The control plane owns the config fields; the data plane updates the counters.

import { type Inet6, inet6Equal, inet6Fold, inet6Zero } from '../lib/inet6.ts';

/** Forwarding methods (IP_VS_CONN_F_FWD_MASK values in include/uapi/linux/ip_vs.h), plus our full NAT. */
export const FWD_MASQ = 0; // -m  "Masq"
export const FWD_LOCAL = 1; //     "Local"
export const FWD_TUNNEL = 2; // -i "Tunnel"
export const FWD_ROUTE = 3; // -g  "Route" (ipvsadm's default)
export const FWD_FULLNAT = 7; // tsvs extension: source also rewritten to a local address (DIP side)

/** dest->tun_type (IP_VS_CONN_F_TUNNEL_TYPE_*, include/uapi/linux/ip_vs.h). */
export const TUN_TYPE_IPIP = 0;
export const TUN_TYPE_GUE = 1;
export const TUN_TYPE_GRE = 2;
/** dest->tun_flags (IP_VS_TUNNEL_ENCAP_FLAG_*): no checksum is 0. */
export const TUN_F_NOCSUM = 0;
export const TUN_F_CSUM = 1;
export const TUN_F_REMCSUM = 2;

/** dest->flags (include/net/ip_vs.h). */
export const DEST_F_AVAILABLE = 0x0001;
export const DEST_F_OVERLOAD = 0x0002;

export const AF_INET = 2;
export const AF_INET6 = 10;

let nextSeq = 1;

export class Dest {
  /** Address family of addr: AF_INET or AF_INET6. */
  af: number;
  /**
   * Real server address, IPv4 as uint32 (host order, 192.168.99.100 = 0xc0a86364); for AF_INET6
   * the fold of addr6 (what the kernel's schedulers hash), equality checks addr6 too.
   */
  addr: number;
  /** AF_INET6: the real server's four words (src/lib/inet6.ts); all zero for AF_INET. */
  readonly addr6: Inet6;
  port: number;
  fwd: number;
  /** 0..65535; 0 = quiesced: no new connections. */
  weight: number;
  /** -x upper connection threshold, 0 = none. */
  uThreshold: number;
  /** -y lower connection threshold, 0 = none. */
  lThreshold: number;
  /** -i only: TUN_TYPE_*, the UDP destination port for GUE (0 for IPIP) and TUN_F_* flags. */
  tunType: number;
  tunPort: number;
  tunFlags: number;
  /** DEST_F_* bits. */
  flags: number;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  /**
   * Scan-order key: a new dest goes to the HEAD of svc.dests (list_add_rcu in
   * __ip_vs_update_dest, ip_vs_ctl.c), so a higher seq is scanned earlier. Reassigned on re-add.
   */
  seq: number;
  /** Slot for a scheduler's per-dest bookkeeping (e.g. heap position); -1 when unused. */
  schedIdx: number;
  /** 64-bit-safe counters (doubles hold integers exactly to 2^53). */
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;

  constructor(af: number, addr: number, port: number, addr6?: Inet6) {
    this.af = af;
    this.addr6 = inet6Zero();
    if (addr6 !== undefined) this.addr6.set(addr6);
    this.addr = addr6 !== undefined ? inet6Fold(this.addr6) : addr >>> 0;
    this.port = port;
    this.fwd = FWD_ROUTE;
    this.weight = 1;
    this.uThreshold = 0;
    this.lThreshold = 0;
    this.tunType = TUN_TYPE_IPIP;
    this.tunPort = 0;
    this.tunFlags = TUN_F_NOCSUM;
    this.flags = DEST_F_AVAILABLE;
    this.activeConns = 0;
    this.inactConns = 0;
    this.persistConns = 0;
    this.seq = nextSeq++;
    this.schedIdx = -1;
    this.conns = 0;
    this.inPkts = 0;
    this.outPkts = 0;
    this.inBytes = 0;
    this.outBytes = 0;
  }

  /** Mark this dest as newly inserted at the head of its service's list. */
  renewSeq(): void {
    this.seq = nextSeq++;
  }
}

/** ip_vs_dest_conn_overhead() in include/net/ip_vs.h: active conns weigh 256 inactive ones. */
export function destOverhead(d: Dest): number {
  return d.activeConns * 256 + d.inactConns;
}

const NO_ADDR6: Inet6 = inet6Zero();

/**
 * ip_vs_addr_equal(af, ...) for a dest: same family and address; for AF_INET6 `addr` is the
 * fold, so the four words decide (addr6 undefined stands for ::).
 */
export function destAddrIs(d: Dest, af: number, addr: number, addr6: Inet6 | undefined): boolean {
  if (d.af !== af || d.addr !== addr >>> 0) return false;
  return af !== AF_INET6 || inet6Equal(d.addr6, addr6 ?? NO_ADDR6);
}
