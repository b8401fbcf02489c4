// IPv6 fixed header (RFC 8200 section 3) and its extension headers: parse into a ParsedFrame with
// the checks of ip6_rcv_core() in net/ipv6/ip6_input.c, then the bounded walk of ipv6-exthdr.ts.

import { DROP_BAD_IP_HEADER, DROP_BAD_IP_VERSION, DROP_NONE, DROP_SHORT_FRAME } from '../lib/drops.ts';
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { rd16 } from './bytes.ts';
import { viewOf } from './buf-view.ts';
import { Exthdr6Walk, walkExthdrs6 } from './ipv6-exthdr.ts';
import { GROUP_IP, GROUP_IP6 } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const IPV6_HLEN = 40;
/** Field offsets inside the fixed IPv6 header. */
export const IP6H_PLEN = 4;
export const IP6H_NEXTHDR = 6;
export const IP6H_HOPLIMIT = 7;
export const IP6H_SADDR = 8;
export const IP6H_DADDR = 24;

const walk = new Exthdr6Walk();

/** Read the 128-bit address at off into w (four host-order words, src/lib/inet6.ts); returns its fold. */
export function readAddr6(buf: Uint8Array, off: number, w: Uint32Array): number {
  const v = viewOf(buf);
  const a = v.getUint32(off);
  const b = v.getUint32(off + 4);
  const c = v.getUint32(off + 8);
  const d = v.getUint32(off + 12);
  w[0] = a;
  w[1] = b;
  w[2] = c;
  w[3] = d;
  return (a ^ b ^ c ^ d) >>> 0;
}

/** Copy the four words w[at .. at + 3] into dst (a ParsedFrame address) and return their fold. */
export function copyAddr6(dst: Uint32Array, w: Uint32Array, at: number): number {
  const a = w[at]!;
  const b = w[at + 1]!;
  const c = w[at + 2]!;
  const d = w[at + 3]!;
  dst[0] = a;
  dst[1] = b;
  dst[2] = c;
  dst[3] = d;
  return (a ^ b ^ c ^ d) >>> 0;
}

/**
 * Write the four words w[at .. at + 3] as a 128-bit address at off. The word offset lets callers
 * pass a connection's column (conn-table6.ts: id << 2) without a subarray per packet.
 */
export function writeAddr6(buf: Uint8Array, off: number, w: Uint32Array, at: number): void {
  const v = viewOf(buf);
  v.setUint32(off, w[at]!);
  v.setUint32(off + 4, w[at + 1]!);
  v.setUint32(off + 8, w[at + 2]!);
  v.setUint32(off + 12, w[at + 3]!);
}

/**
 * Parse the IPv6 header at f.l3Off; frameEnd is the end of the frame.
 *   fewer than 40 bytes                              DROP_SHORT_FRAME
 *   version != 6                                     DROP_BAD_IP_VERSION
 *   payload length beyond the frame, payload length 0 (a jumbogram: RFC 2675, not supported),
 *   multicast source (ip6_rcv_core: "RFC4291 2.7")   DROP_BAD_IP_HEADER
 *   extension header chain refused                   DROP_BAD_IPV6_EXTHDR (ipv6-exthdr.ts)
 * The payload length is authoritative, as tot_len for IPv4: Ethernet padding is not part of it.
 * A non-first fragment (f.fragOff > 0) leaves l4Off where its data starts and no L4 parsed.
 */
export function parseIpv6(buf: Uint8Array, f: ParsedFrame, frameEnd: number): number {
  const o = f.l3Off;
  const avail = frameEnd - o;
  if (avail < IPV6_HLEN) return DROP_SHORT_FRAME;
  if (buf[o]! >>> 4 !== 6) return DROP_BAD_IP_VERSION;
  const plen = rd16(buf, o + IP6H_PLEN);
  if (plen === 0 || plen > avail - IPV6_HLEN) return DROP_BAD_IP_HEADER;
  if (buf[o + IP6H_SADDR] === 0xff) return DROP_BAD_IP_HEADER;
  const nh = buf[o + IP6H_NEXTHDR]!;
  // Fast path: TCP, UDP or ICMPv6 right after the fixed header (no extension headers to walk).
  if (nh === IPPROTO_TCP || nh === IPPROTO_UDP || nh === IPPROTO_ICMPV6) {
    f.ipHdrLen = IPV6_HLEN;
    f.ipId = 0;
    f.moreFrags = 0;
    f.fragOff = 0;
    f.protocol = nh;
    f.fragHdrOff = -1;
    f.l4Off = o + IPV6_HLEN;
    f.l4Len = plen;
  } else {
    const r = walkExthdrs6(buf, o + IPV6_HLEN, o + IPV6_HLEN + plen, nh, walk);
    if (r !== DROP_NONE) return r;
    const hlen = walk.l4Off - o;
    f.ipHdrLen = hlen;
    f.ipId = walk.fragId;
    f.moreFrags = walk.moreFrags;
    f.fragOff = walk.fragOff;
    f.protocol = walk.proto;
    f.fragHdrOff = walk.fragHdrOff;
    f.l4Off = walk.l4Off;
    f.l4Len = IPV6_HLEN + plen - hlen;
  }
  f.ipTotalLen = IPV6_HLEN + plen;
  f.ipTos = ((buf[o]! & 15) << 4) | (buf[o + 1]! >>> 4);
  f.dontFrag = 1;
  f.ttl = buf[o + IP6H_HOPLIMIT]!;
  f.saddr = readAddr6(buf, o + IP6H_SADDR, f.saddr6);
  f.daddr = readAddr6(buf, o + IP6H_DADDR, f.daddr6);
  f.groups |= GROUP_IP | GROUP_IP6;
  return DROP_NONE;
}
