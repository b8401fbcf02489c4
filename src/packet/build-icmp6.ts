// Builders for the ICMPv6 messages the director originates: echo replies for the addresses it
// owns (icmpv6_echo_reply in net/ipv6/icmp.c) and errors about a received packet (icmp6_send:
// port unreachable when no real server is available (ip_vs_leave), packet too big (the IPv6 side
// of ensure_mtu_is_adequate), hop limit exceeded).
//
// Errors go back the way the packet came: MACs swapped, same 802.1Q tag. They quote as much of
// the original packet as fits in the IPv6 minimum MTU, 1280 bytes (RFC 4443 2.4 (c)):
// 1280 - 40 - 8 = 1232 bytes. Hop limit 64 (the kernel's default hop_limit). No allocation; the
// caller provides out with ICMP6_ERROR_MAX_FRAME bytes from off.

import { copyBytes, wr16, wr32 } from './bytes.ts';
import { csumFold, csumPartial } from './checksum.ts';
import { pseudoSum6 } from './checksum6.ts';
import { ETH_P_IPV6, isMulticastMac, swapMacs, writeEthHeader } from './ethernet.ts';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_EXC_HOPLIMIT,
  ICMPV6_HLEN,
  ICMPV6_PKT_TOOBIG,
  ICMPV6_PORT_UNREACH,
  ICMPV6_TIME_EXCEED,
  icmp6TypeIsError,
} from './icmp6.ts';
import { IP6H_DADDR, IP6H_HOPLIMIT, IP6H_NEXTHDR, IP6H_PLEN, IP6H_SADDR, IPV6_HLEN, writeAddr6 } from './ipv6.ts';
import { IPPROTO_ICMPV6 } from '../lib/inet.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const IPV6_MIN_MTU = 1280;
export const ICMP6_ERROR_MAX_QUOTE = IPV6_MIN_MTU - IPV6_HLEN - ICMPV6_HLEN;
/** 14 Ethernet + 4 802.1Q + 1280 IPv6. */
export const ICMP6_ERROR_MAX_FRAME = 1298;
export const IPV6_DEFAULT_HOPLIMIT = 64;

/** Checksum of the ICMPv6 message at m (len bytes) under the IPv6 header at ip. */
function icmp6Checksum(out: Uint8Array, m: number, len: number, saddr: Uint32Array, daddr: Uint32Array): void {
  wr16(out, m + 2, 0);
  wr16(out, m + 2, csumFold(pseudoSum6(saddr, daddr, IPPROTO_ICMPV6, len) + csumPartial(out, m, len, 0)));
}

/**
 * Turn a parsed echo request into the echo reply, in place: MACs swapped, addresses swapped,
 * hop limit 64, extension headers removed (the message moves up behind the fixed header), type
 * 129, checksum recomputed over the pseudo-header and the message. Returns the new frame length.
 * The caller checks icmp6ChecksumOk() first (icmpv6_rcv drops a request that fails it) and that
 * the request was to an owned unicast address, which becomes the reply's source.
 */
export function icmp6EchoReplyInPlace(buf: Uint8Array, f: ParsedFrame): number {
  swapMacs(buf, f.frameOff);
  const ip = f.l3Off;
  const msgLen = f.l4Len;
  let m = f.l4Off;
  if (f.ipHdrLen > IPV6_HLEN) {
    copyBytes(buf, ip + IPV6_HLEN, buf, m, msgLen);
    m = ip + IPV6_HLEN;
    wr16(buf, ip + IP6H_PLEN, msgLen);
    buf[ip + IP6H_NEXTHDR] = IPPROTO_ICMPV6;
  }
  // Swap the addresses in the frame through the parsed copies, then the copies themselves.
  writeAddr6(buf, ip + IP6H_SADDR, f.daddr6, 0);
  writeAddr6(buf, ip + IP6H_DADDR, f.saddr6, 0);
  for (let i = 0; i < 4; i++) {
    const t = f.saddr6[i]!;
    f.saddr6[i] = f.daddr6[i]!;
    f.daddr6[i] = t;
  }
  const t = f.saddr;
  f.saddr = f.daddr;
  f.daddr = t;
  buf[ip + IP6H_HOPLIMIT] = IPV6_DEFAULT_HOPLIMIT;
  buf[m] = ICMPV6_ECHO_REPLY;
  buf[m + 1] = 0;
  icmp6Checksum(buf, m, msgLen, f.saddr6, f.daddr6);
  f.ttl = IPV6_DEFAULT_HOPLIMIT;
  f.ipHdrLen = IPV6_HLEN;
  f.ipTotalLen = IPV6_HLEN + msgLen;
  f.fragHdrOff = -1;
  f.l4Off = m;
  f.l4CsumOff = m + 2;
  f.payloadOff = m + ICMPV6_HLEN;
  f.icmpType = ICMPV6_ECHO_REPLY;
  f.icmpCode = 0;
  return m + msgLen - f.frameOff;
}

/**
 * May an ICMPv6 error be sent about this packet? icmp6_send()'s filters (RFC 4443 2.4 (e)):
 * not about a packet to a multicast address or Ethernet group (packet too big excepted), not
 * from the unspecified or a multicast source, not about an ICMPv6 error, not about a non-first
 * fragment (no upper-layer header to quote usefully).
 */
export function icmp6ErrorAllowed(buf: Uint8Array, f: ParsedFrame, type: number): boolean {
  if (f.fragOff !== 0) return false;
  if (type !== ICMPV6_PKT_TOOBIG && (isMulticastMac(buf, f.frameOff) || f.daddr6[0]! >>> 24 === 0xff)) return false;
  const s = f.saddr6;
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0 || s[0]! >>> 24 === 0xff) return false;
  if (f.protocol === IPPROTO_ICMPV6 && icmp6TypeIsError(f.icmpType)) return false;
  return true;
}

/**
 * An ICMPv6 error about the parsed packet in buf, written at out[off...]: Ethernet back to the
 * sender, IPv6 srcAddr -> the packet's source, type/code and the 32-bit `info` word (the MTU for
 * packet too big, else 0), then the quote. Returns the frame length. out must not overlap buf.
 */
export function buildIcmp6Error(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  type: number,
  code: number,
  info: number,
  srcAddr: Uint32Array,
): number {
  const o = f.frameOff;
  const ip = writeEthHeader(out, off, buf, o + 6, buf, o, f.vlanTci, ETH_P_IPV6);
  const quote = f.ipTotalLen < ICMP6_ERROR_MAX_QUOTE ? f.ipTotalLen : ICMP6_ERROR_MAX_QUOTE;
  const msgLen = ICMPV6_HLEN + quote;
  wr32(out, ip, 0x60000000);
  wr16(out, ip + IP6H_PLEN, msgLen);
  out[ip + IP6H_NEXTHDR] = IPPROTO_ICMPV6;
  out[ip + IP6H_HOPLIMIT] = IPV6_DEFAULT_HOPLIMIT;
  writeAddr6(out, ip + IP6H_SADDR, srcAddr, 0);
  writeAddr6(out, ip + IP6H_DADDR, f.saddr6, 0);
  const m = ip + IPV6_HLEN;
  out[m] = type;
  out[m + 1] = code;
  wr32(out, m + 4, info);
  copyBytes(out, m + ICMPV6_HLEN, buf, f.l3Off, quote);
  icmp6Checksum(out, m, msgLen, srcAddr, f.saddr6);
  return m + msgLen - off;
}

/** Port unreachable (1/4): what ip_vs_leave() sends over IPv6 when a service has no real server. */
export function buildIcmp6PortUnreach(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  src: Uint32Array,
): number {
  return buildIcmp6Error(out, off, buf, f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0, src);
}

/** Packet too big (2/0) with the MTU (RFC 8201), for packets over the path MTU. */
export function buildIcmp6PktTooBig(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  mtu: number,
  src: Uint32Array,
): number {
  return buildIcmp6Error(out, off, buf, f, ICMPV6_PKT_TOOBIG, 0, mtu, src);
}

/** Hop limit exceeded in transit (3/0). */
export function buildIcmp6TimeExceeded(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  src: Uint32Array,
): number {
  return buildIcmp6Error(out, off, buf, f, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0, src);
}
