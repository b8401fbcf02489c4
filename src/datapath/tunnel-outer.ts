// Outer headers of LVS-TUN, shared by the transmitters of both inner families: the IPv4 header
// ip_vs_tunnel_xmit() pushes and the IPv6 header ip_vs_tunnel_xmit_v6() pushes (ip_vs_xmit.c), the
// GUE checksum of each family (udp_set_csum() / udp6_set_csum()), the EtherType of the outer family
// and the IPv6 source the route picks. Since kernel 3.18 ("ipvs: Supporting mixed address
// families") the inner packet may be of the other family than its outer header: 4in6, 6in4.

import { IPPROTO_UDP } from '../lib/inet.ts';
import type { Dest } from '../model/dest.ts';
import { wr16, wr32 } from '../packet/bytes.ts';
import { csumTcpudpMagic, ipSendCheck } from '../packet/checksum.ts';
import { csumIpv6Magic } from '../packet/checksum6.ts';
import { writeAddr6 } from '../packet/ipv6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { gueSum, gueWantsCsum, writeGue } from './gue-encap.ts';
import type { Xmit6 } from './xmit6.ts';

export const IPPROTO_IPIP = 4;
export const IPPROTO_IPV6 = 41;
export const IPH = 20;
export const IP6H = 40;

/**
 * The outer IPv4 header at o, as ip_vs_tunnel_xmit() fills it: version 4, ihl 5, tos = the inner
 * dsfield, frag_off = df (the inner DF for an IPv4 packet, 0 for an IPv6 one), the inner TTL or hop
 * limit, `proto`, then ip_select_ident() (the caller's id: 0 with DF) and ip_send_check().
 */
export function writeOuter4(
  buf: Buffer,
  o: number,
  tos: number,
  totLen: number,
  id: number,
  df: number,
  ttl: number,
  proto: number,
  saddr: number,
  daddr: number,
): void {
  buf[o] = 0x45;
  buf[o + 1] = tos;
  wr16(buf, o + 2, totLen);
  wr16(buf, o + 4, id);
  wr16(buf, o + 6, df);
  buf[o + 8] = ttl;
  buf[o + 9] = proto;
  wr32(buf, o + 12, saddr);
  wr32(buf, o + 16, daddr);
  ipSendCheck(buf, o);
}

/**
 * The outer IPv6 header at o, as ip_vs_tunnel_xmit_v6() fills it: version 6, traffic class = the
 * inner dsfield (ipv6_change_dsfield()), flow label 0, payload length, next header, hop limit = the
 * inner TTL or hop limit, saddr, daddr = daddrs[at .. at + 3].
 */
export function writeOuter6(
  buf: Buffer,
  o: number,
  tc: number,
  payloadLen: number,
  nexthdr: number,
  hop: number,
  saddr: Uint32Array,
  daddrs: Uint32Array,
  at: number,
): void {
  wr32(buf, o, (0x60000000 | (tc << 20)) >>> 0);
  wr16(buf, o + 4, payloadLen);
  buf[o + 6] = nexthdr;
  buf[o + 7] = hop;
  writeAddr6(buf, o + 8, saddr, 0);
  writeAddr6(buf, o + 24, daddrs, at);
}

/** ipvs_gue_encap() + udp_set_csum() after an outer IPv4 header: UDP and GUE at u. */
export function gueOver4(
  buf: Buffer,
  f: ParsedFrame,
  u: number,
  udpLen: number,
  dest: Dest,
  remcsum: boolean,
  lco: boolean,
  innerProto: number,
  saddr: number,
  daddr: number,
): void {
  writeGue(buf, f, u, udpLen, dest, remcsum, innerProto);
  if (!gueWantsCsum(dest)) return; // udp_set_csum(nocheck): 0, no checksum
  const c = csumTcpudpMagic(saddr, daddr, udpLen, IPPROTO_UDP, gueSum(buf, f, u, udpLen, lco));
  wr16(buf, u + 6, c === 0 ? 0xffff : c); // CSUM_MANGLED_0
}

/**
 * ipvs_gue_encap() + udp6_set_csum() after an outer IPv6 header: UDP and GUE at u. Without
 * --tun-csum / --tun-remcsum the UDP checksum is 0 (udp6_set_csum(nocheck)), which the real
 * server's GUE socket accepts only with udp6zerocsumrx (RFC 6935).
 */
export function gueOver6(
  buf: Buffer,
  f: ParsedFrame,
  u: number,
  udpLen: number,
  dest: Dest,
  remcsum: boolean,
  lco: boolean,
  innerProto: number,
  saddr: Uint32Array,
  daddr: Uint32Array,
): void {
  writeGue(buf, f, u, udpLen, dest, remcsum, innerProto);
  if (!gueWantsCsum(dest)) return;
  const c = csumIpv6Magic(saddr, daddr, udpLen, IPPROTO_UDP, gueSum(buf, f, u, udpLen, lco));
  wr16(buf, u + 6, c === 0 ? 0xffff : c); // CSUM_MANGLED_0
}

/** The EtherType of the frame whose Ethernet header (with its 802.1Q tag) ends at l3: the outer family's. */
export function setEthType(buf: Buffer, l3: number, type: number): void {
  wr16(buf, l3 - 2, type);
}

/**
 * The source the route picks toward the real server rip[0..3] out of `port`, ipv6_dev_get_saddr()
 * on the output device (__ip_vs_route_output_v6()): the director's kernel address there (the
 * DIP6), else the address tsvs speaks from there; null when the port has no IPv6 address.
 */
export function outerSource6(x6: Xmit6, port: number, rip: Uint32Array): Uint32Array | null {
  return x6.dips[port] ?? x6.nsSender(port, rip);
}
