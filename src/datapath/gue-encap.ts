// gueEncap: the UDP and GUE headers of a GUE tunnel, ipvs_gue_encap() (ip_vs_xmit.c), the same
// for both outer families: ip_vs_tunnel_xmit() and ip_vs_tunnel_xmit_v6() both call it, then
// udp_set_csum() or udp6_set_csum() adds the pseudo-header of their outer header (the callers).
//
//   [outer IP][UDP 8: sport dport len check][GUE 4: hlen proto_ctype flags][REMCSUM option 8]?[inner IP ...]
//
// proto_ctype is the inner packet's protocol as ip_vs_prepare_tunneled_skb() names it:
// IPPROTO_IPIP (4) for an IPv4 packet, IPPROTO_IPV6 (41) for an IPv6 one.

import { IPPROTO_TCP } from '../lib/inet.ts';
import { TUN_F_CSUM, TUN_F_REMCSUM, TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { rd16, wr16, wr32 } from '../packet/bytes.ts';
import { csumPartial } from '../packet/checksum.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

export const UDPH = 8;
const GUEH = 4;
/** GUE_LEN_PRIV + GUE_PLEN_REMCSUM (include/net/gue.h). */
const GUE_REMCSUM_OPT = 8;
/** The kernel's default net.ipv4.ip_local_port_range, which udp_flow_src_port() spreads over. */
const PORT_MIN = 32768;
const PORT_MAX = 60999;

/** ipvs_gue_encap()'s remote-checksum option: asked for, and the inner checksum still partial. */
export function gueRemcsum(dest: Dest, f: ParsedFrame): boolean {
  return dest.tunType === TUN_TYPE_GUE && (dest.tunFlags & TUN_F_REMCSUM) !== 0 && f.csumPartial !== 0;
}

/** The bytes between the outer IP header and the inner packet: 0 (IPIP), UDP + GUE (+ option). */
export function gueLen(dest: Dest, remcsum: boolean): number {
  return dest.tunType === TUN_TYPE_GUE ? UDPH + GUEH + (remcsum ? GUE_REMCSUM_OPT : 0) : 0;
}

/** udp_set_csum(!check) / udp6_set_csum(!check): a checksum only with --tun-csum or --tun-remcsum. */
export function gueWantsCsum(dest: Dest): boolean {
  return (dest.tunFlags & (TUN_F_CSUM | TUN_F_REMCSUM)) !== 0;
}

/**
 * Write the UDP header (checksum 0) and the GUE header at u, udpLen bytes of UDP in all, for the
 * inner packet f of protocol `innerProto` (4 or 41).
 */
export function writeGue(
  buf: Buffer,
  f: ParsedFrame,
  u: number,
  udpLen: number,
  dest: Dest,
  remcsum: boolean,
  innerProto: number,
): void {
  // udp_flow_src_port(): a hash of the inner flow spread over the local port range (f.saddr and
  // f.daddr are the IPv6 addresses' folds for an IPv6 packet).
  let h = Math.imul(f.saddr ^ Math.imul(f.daddr, 0x9e3779b1), 0x85ebca6b) ^ ((f.sport << 16) | f.dport);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ f.protocol;
  h = (h ^ (h >>> 13)) >>> 0;
  wr16(buf, u, Math.floor((h * (PORT_MAX - PORT_MIN)) / 4294967296) + PORT_MIN);
  wr16(buf, u + 2, dest.tunPort);
  wr16(buf, u + 4, udpLen);
  wr16(buf, u + 6, 0);
  const g = u + UDPH;
  // struct guehdr: version 0, control 0, hlen = option words; proto_ctype = the inner protocol.
  buf[g] = remcsum ? GUE_REMCSUM_OPT >>> 2 : 0;
  buf[g + 1] = innerProto;
  wr16(buf, g + 2, remcsum ? 1 : 0); // GUE_FLAG_PRIV
  if (remcsum) {
    // GUE_PFLAG_REMCSUM, then where the inner checksum starts and where it goes, from the inner IP.
    wr32(buf, g + 4, 0x80000000);
    const start = f.l4Off - f.l3Off;
    wr16(buf, g + 8, start);
    wr16(buf, g + 10, start + (f.protocol === IPPROTO_TCP ? 16 : 6));
  }
}

/**
 * The sum of the UDP bytes at u (udpLen of them) before the pseudo-header is added. With `lco`
 * (lco_csum(): the inner checksum is still partial and stays so) the inner checksum field holds
 * its pseudo-header seed, whose complement stands for the inner L4 bytes the far end sums later:
 * only our headers up to where the inner sum starts are added to it.
 */
export function gueSum(buf: Buffer, f: ParsedFrame, u: number, udpLen: number, lco: boolean): number {
  if (!lco) return csumPartial(buf, u, udpLen, 0);
  const check = rd16(buf, f.l4Off + (f.protocol === IPPROTO_TCP ? 16 : 6));
  return csumPartial(buf, u, f.l4Off - u, ~check & 0xffff);
}
