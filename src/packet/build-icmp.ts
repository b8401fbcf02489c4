// Builders for the ICMP messages the director originates: echo replies for the addresses it
// owns (icmp_echo/icmp_reply in net/ipv4/icmp.c) and errors about a received packet
// (__icmp_send: port unreachable when no real server is available (ip_vs_leave), fragmentation
// needed (ensure_mtu_is_adequate in ip_vs_xmit.c), time exceeded (decrement_ttl)).
//
// Errors go back the way the packet came: Ethernet src/dst swapped, same 802.1Q tag. They quote
// as much of the original IP packet (header, options and data, up to its tot_len) as fits in
// 576 bytes of IP: at most 576 - 20 - 8 = 548 bytes, as __icmp_send computes "room". The
// error's own IP header: no options (the kernel would echo the original's options: not done),
// TOS = (tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL, TTL 64 (sysctl ip_default_ttl), DF
// clear (the kernel's ICMP socket uses IP_PMTUDISC_DONT), ID from the caller.
// No allocation; the caller provides out with ICMP_ERROR_MAX_FRAME bytes from off.

import { copyBytes, wr16, wr32 } from './bytes.ts';
import { csumFold, csumPartial, ipSendCheck } from './checksum.ts';
import { ETH_P_IP, isMulticastMac, writeEthHeader } from './ethernet.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHOREPLY,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HLEN,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
  NR_ICMP_TYPES,
  icmpTypeIsError,
} from './icmp.ts';
import { IPH_CHECK, IPH_DADDR, IPH_FRAG, IPH_SADDR, IPH_TOT_LEN, IPH_TTL, IPV4_HLEN } from './ipv4.ts';
import { IPPROTO_ICMP } from '../lib/inet.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const ICMP_ERROR_MAX_IP = 576;
export const ICMP_ERROR_MAX_QUOTE = ICMP_ERROR_MAX_IP - IPV4_HLEN - ICMP_HLEN;
/** 14 Ethernet + 4 802.1Q + 576 IP. */
export const ICMP_ERROR_MAX_FRAME = 594;
export const IP_DEFAULT_TTL = 64;
const IPTOS_TOS_MASK = 0x1e;
const IPTOS_PREC_INTERNETCONTROL = 0xc0;

/**
 * Turn a parsed echo request into the echo reply, in place: MACs swapped, IP addresses swapped
 * (the reply comes from the address that was pinged), TTL 64, DF clear, IP options removed
 * (the data moves up), type 0, ICMP checksum recomputed over the message. Returns the new frame
 * length. The caller checks icmpChecksumOk() first: icmp_rcv() drops a request that fails it.
 */
export function icmpEchoReplyInPlace(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.frameOff;
  const ip = f.l3Off;
  for (let i = 0; i < 6; i++) {
    const t = buf[o + i]!;
    buf[o + i] = buf[o + 6 + i]!;
    buf[o + 6 + i] = t;
  }
  const msgLen = f.l4Len;
  let icmp = f.l4Off;
  if (f.ipHdrLen > IPV4_HLEN) {
    const dst = ip + IPV4_HLEN;
    for (let i = 0; i < msgLen; i++) buf[dst + i] = buf[icmp + i]!;
    icmp = dst;
    buf[ip] = 0x45;
    wr16(buf, ip + IPH_TOT_LEN, IPV4_HLEN + msgLen);
  }
  const saddr = f.saddr;
  const daddr = f.daddr;
  wr32(buf, ip + IPH_SADDR, daddr);
  wr32(buf, ip + IPH_DADDR, saddr);
  wr16(buf, ip + IPH_FRAG, 0);
  buf[ip + IPH_TTL] = IP_DEFAULT_TTL;
  ipSendCheck(buf, ip);
  buf[icmp] = ICMP_ECHOREPLY;
  buf[icmp + 1] = 0;
  buf[icmp + 2] = 0;
  buf[icmp + 3] = 0;
  wr16(buf, icmp + 2, csumFold(csumPartial(buf, icmp, msgLen, 0)));

  f.saddr = daddr;
  f.daddr = saddr;
  f.ttl = IP_DEFAULT_TTL;
  f.dontFrag = 0;
  f.ipHdrLen = IPV4_HLEN;
  f.ipTotalLen = IPV4_HLEN + msgLen;
  f.l4Off = icmp;
  f.l4CsumOff = icmp + 2;
  f.payloadOff = icmp + ICMP_HLEN;
  f.icmpType = ICMP_ECHOREPLY;
  f.icmpCode = 0;
  return icmp + msgLen - o;
}

/**
 * May an ICMP error be sent about this packet? The filters at the top of __icmp_send():
 * not about a non-first fragment, not about a packet to/from a broadcast or multicast address
 * (Ethernet group destination, IP 224.0.0.0/4 or 255.255.255.255, source 0 or multicast), and
 * never about an ICMP error or an unknown ICMP type.
 */
export function icmpErrorAllowed(buf: Uint8Array, f: ParsedFrame): boolean {
  if (f.fragOff !== 0) return false;
  if (isMulticastMac(buf, f.frameOff)) return false;
  const d = f.daddr;
  const s = f.saddr;
  if (d >>> 28 === 0xe || d === 0xffffffff) return false;
  if (s === 0 || s >>> 28 === 0xe || s === 0xffffffff) return false;
  if (f.protocol === IPPROTO_ICMP && (f.icmpType > NR_ICMP_TYPES || icmpTypeIsError(f.icmpType))) return false;
  return true;
}

/**
 * An ICMP error about the parsed packet in buf, written at out[off...]: Ethernet back to the
 * sender (MACs swapped, same VLAN), IP srcAddr -> the packet's source, ICMP type/code and the
 * 32-bit `info` word (next-hop MTU for FRAG_NEEDED in its low 16 bits, else 0), then the quote.
 * Returns the frame length. out must not overlap the original frame.
 */
export function buildIcmpError(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  type: number,
  code: number,
  info: number,
  srcAddr: number,
  ipId: number,
): number {
  const o = f.frameOff;
  const ip = writeEthHeader(out, off, buf, o + 6, buf, o, f.vlanTci, ETH_P_IP);
  const quote = f.ipTotalLen < ICMP_ERROR_MAX_QUOTE ? f.ipTotalLen : ICMP_ERROR_MAX_QUOTE;
  const tot = IPV4_HLEN + ICMP_HLEN + quote;
  out[ip] = 0x45;
  out[ip + 1] = (f.ipTos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
  wr16(out, ip + IPH_TOT_LEN, tot);
  wr16(out, ip + 4, ipId);
  wr16(out, ip + IPH_FRAG, 0);
  out[ip + IPH_TTL] = IP_DEFAULT_TTL;
  out[ip + 9] = IPPROTO_ICMP;
  wr16(out, ip + IPH_CHECK, 0);
  wr32(out, ip + IPH_SADDR, srcAddr);
  wr32(out, ip + IPH_DADDR, f.saddr);
  ipSendCheck(out, ip);
  const icmp = ip + IPV4_HLEN;
  out[icmp] = type;
  out[icmp + 1] = code;
  wr16(out, icmp + 2, 0);
  wr32(out, icmp + 4, info);
  copyBytes(out, icmp + ICMP_HLEN, buf, f.l3Off, quote);
  wr16(out, icmp + 2, csumFold(csumPartial(out, icmp, ICMP_HLEN + quote, 0)));
  return icmp + ICMP_HLEN + quote - off;
}

/** ICMP port unreachable (3/3): what ip_vs_leave() sends when a service has no real server. */
export function buildIcmpPortUnreach(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  srcAddr: number,
  ipId: number,
): number {
  return buildIcmpError(out, off, buf, f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, srcAddr, ipId);
}

/** ICMP fragmentation needed (3/4) with the next-hop MTU (RFC 1191), for DF packets over the MTU. */
export function buildIcmpFragNeeded(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  mtu: number,
  srcAddr: number,
  ipId: number,
): number {
  return buildIcmpError(out, off, buf, f, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu & 0xffff, srcAddr, ipId);
}

/** ICMP time exceeded in transit (11/0), for a packet whose TTL ran out (decTtl returned false). */
export function buildIcmpTimeExceeded(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  srcAddr: number,
  ipId: number,
): number {
  return buildIcmpError(out, off, buf, f, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, srcAddr, ipId);
}
