// ICMPv6 (RFC 4443) and the neighbour discovery messages in it (RFC 4861): parse type/code/id/seq,
// for errors the quoted IPv6 packet (ip_vs_in_icmp_v6 / ip_vs_out_icmp_v6 in ip_vs_core.c), for
// NS/NA the target and the link-layer address option with the validity checks of ndisc_rcv() and
// ndisc_recv_ns()/ndisc_recv_na() (net/ipv6/ndisc.c) that need no state.

import { DROP_BAD_L4_HEADER, DROP_NONE } from '../lib/drops.ts';
import { IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { rd16 } from './bytes.ts';
import { csumFold, csumPartial } from './checksum.ts';
import { pseudoSum6 } from './checksum6.ts';
import { Exthdr6Walk, walkExthdrs6 } from './ipv6-exthdr.ts';
import { IP6H_DADDR, IP6H_NEXTHDR, IP6H_SADDR, IPV6_HLEN, readAddr6 } from './ipv6.ts';
import { readIcmpHeader } from './icmp.ts';
import { GROUP_INNER, GROUP_INNER6, GROUP_ND } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const ICMPV6_HLEN = 8;
export const ICMPV6_CHECK_OFF = 2;

export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_PARAMPROB = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;

export const ICMPV6_PORT_UNREACH = 4;
export const ICMPV6_EXC_HOPLIMIT = 0;

/** NS and NA: 8-byte ICMPv6 header + 16-byte target (RFC 4861 4.3, 4.4). */
export const ND_HLEN = 24;
/** Link-layer address options (RFC 4861 4.6.1) and their length for Ethernet (one 8-byte unit). */
export const ND_OPT_SOURCE_LL_ADDR = 1;
export const ND_OPT_TARGET_LL_ADDR = 2;
export const ND_OPT_LL_LEN = 8;
/** NA flags, in the top byte of f.icmpId (bytes 4-5 of the message). */
export const NA_ROUTER = 0x80;
export const NA_SOLICITED = 0x40;
export const NA_OVERRIDE = 0x20;
/** ND packets come with hop limit 255 or are forged off-link (RFC 4861 7.1.1, ndisc_rcv). */
export const ND_HOP_LIMIT = 255;

const walk = new Exthdr6Walk();

/** ICMPv6 errors are the types below 128 (RFC 4443 2.1); these four quote the offending packet. */
export function icmp6TypeIsError(type: number): boolean {
  return type >= ICMPV6_DEST_UNREACH && type <= ICMPV6_PARAMPROB;
}

/**
 * Parse the ICMPv6 message at f.l4Off (f.l4Len bytes). DROP_BAD_L4_HEADER when the header does
 * not fit; for an error, when the quote lacks a whole IPv6 header (and 8 bytes of a quoted TCP,
 * UDP or SCTP header of a first fragment); for NS/NA, when ndisc_rcv() would call it invalid
 * (hop limit not 255, code not 0, shorter than 24 bytes, an option of length 0 or past the end).
 * The checksum is not verified here: see icmp6ChecksumOk().
 */
export function parseIcmp6(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const len = f.l4Len;
  if (len < ICMPV6_HLEN) return DROP_BAD_L4_HEADER;
  const type = readIcmpHeader(buf, f);
  const isError = icmp6TypeIsError(type);
  f.icmpIsError = isError ? 1 : 0;
  if (type === NDISC_NEIGHBOUR_SOLICITATION || type === NDISC_NEIGHBOUR_ADVERTISEMENT) return parseNd(buf, f);
  if (!isError) return DROP_NONE;
  return parseQuote6(buf, f, o + ICMPV6_HLEN, o + len);
}

/** The IPv6 packet quoted by an error, from io to end. */
function parseQuote6(buf: Uint8Array, f: ParsedFrame, io: number, end: number): number {
  if (end - io < IPV6_HLEN || buf[io]! >>> 4 !== 6) return DROP_BAD_L4_HEADER;
  const r = walkExthdrs6(buf, io + IPV6_HLEN, end, buf[io + IP6H_NEXTHDR]!, walk);
  if (r !== DROP_NONE) return r;
  const proto = walk.proto;
  const l4 = walk.l4Off;
  const ports = walk.fragOff === 0 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP);
  if (ports && l4 + 8 > end) return DROP_BAD_L4_HEADER;
  f.innerL3Off = io;
  f.innerIpHdrLen = l4 - io;
  f.innerProtocol = proto;
  f.innerSaddr = readAddr6(buf, io + IP6H_SADDR, f.innerSaddr6);
  f.innerDaddr = readAddr6(buf, io + IP6H_DADDR, f.innerDaddr6);
  f.innerFragOff = walk.fragOff;
  f.innerL4Off = l4;
  f.innerSport = ports ? rd16(buf, l4) : 0;
  f.innerDport = ports ? rd16(buf, l4 + 2) : 0;
  f.groups |= GROUP_INNER | GROUP_INNER6;
  return DROP_NONE;
}

/** NS / NA: target and the Ethernet link-layer address option (source for NS, target for NA). */
function parseNd(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const end = o + f.l4Len;
  if (f.ttl !== ND_HOP_LIMIT || f.icmpCode !== 0 || f.l4Len < ND_HLEN) return DROP_BAD_L4_HEADER;
  readAddr6(buf, o + 8, f.ndTarget6);
  const want = f.icmpType === NDISC_NEIGHBOUR_SOLICITATION ? ND_OPT_SOURCE_LL_ADDR : ND_OPT_TARGET_LL_ADDR;
  let lla = -1;
  // Each option is at least 8 bytes, so this walk ends within l4Len / 8 steps.
  for (let p = o + ND_HLEN; p < end;) {
    if (p + 2 > end) return DROP_BAD_L4_HEADER;
    const optLen = buf[p + 1]! << 3;
    if (optLen === 0 || p + optLen > end) return DROP_BAD_L4_HEADER;
    if (buf[p] === want && optLen === ND_OPT_LL_LEN && lla < 0) lla = p + 2;
    p += optLen;
  }
  f.ndLlaOff = lla;
  f.groups |= GROUP_ND;
  return DROP_NONE;
}

/** True when the ICMPv6 checksum (pseudo-header included, RFC 4443 2.3) verifies. */
export function icmp6ChecksumOk(buf: Uint8Array, f: ParsedFrame): boolean {
  const sum = pseudoSum6(f.saddr6, f.daddr6, IPPROTO_ICMPV6, f.l4Len);
  return csumFold(sum + csumPartial(buf, f.l4Off, f.l4Len, 0)) === 0;
}
