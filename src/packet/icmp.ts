// ICMP (RFC 792): parse type/code/id/seq and, for errors, the quoted IP header + first 8 bytes
// of L4 into a ParsedFrame. What ip_vs_in_icmp()/ip_vs_out_icmp() (net/netfilter/ipvs/ip_vs_core.c)
// read from an error before looking the connection up.

import { DROP_NONE, DROP_BAD_L4_HEADER } from '../lib/drops.ts';
import { rd16, rd32i } from './bytes.ts';
import { csumFold, csumPartial } from './checksum.ts';
import { IP_OFFSET } from './ipv4.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { GROUP_ICMP, GROUP_INNER, GROUP_L4 } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const ICMP_HLEN = 8;
export const ICMP_CHECK_OFF = 2;

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
/** Highest type the kernel knows (NR_ICMP_TYPES in include/uapi/linux/icmp.h). */
export const NR_ICMP_TYPES = 18;

export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_EXC_TTL = 0;

/**
 * True for the types parsed as errors (a quoted IP header follows the 8-byte ICMP header).
 * NB IPVS NATs only DEST_UNREACH, SOURCE_QUENCH and TIME_EXCEEDED (ip_vs_in_icmp); the pipeline
 * decides what to do with PARAMETERPROB.
 */
export function icmpTypeIsError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB
  );
}

/**
 * The 8-byte header ICMP and ICMPv6 share (type, code, checksum, id, seq) at f.l4Off, whose
 * bounds the caller checked, into f's L4 and ICMP groups; returns the type. icmpIsError is the
 * caller's: the two protocols number their errors differently.
 */
export function readIcmpHeader(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const type = buf[o]!;
  f.icmpType = type;
  f.icmpCode = buf[o + 1]!;
  f.icmpId = rd16(buf, o + 4);
  f.icmpSeq = rd16(buf, o + 6);
  f.sport = 0;
  f.dport = 0;
  f.tcpFlags = 0;
  f.tcpHdrLen = 0;
  f.l4CsumOff = o + ICMP_CHECK_OFF;
  f.payloadOff = o + ICMP_HLEN;
  f.payloadLen = f.l4Len - ICMP_HLEN;
  f.groups |= GROUP_L4 | GROUP_ICMP;
  return type;
}

/**
 * Parse the ICMP message at f.l4Off (f.l4Len bytes). DROP_BAD_L4_HEADER when the 8-byte header
 * does not fit, or, for an error, when the quote lacks a whole IPv4 header (version 4, IHL >= 5)
 * plus the first 8 bytes of its L4 (RFC 792 "Internet Header + 64 bits of Data").
 * The ICMP checksum is not verified here: see icmpChecksumOk().
 */
export function parseIcmp(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const len = f.l4Len;
  if (len < ICMP_HLEN) return DROP_BAD_L4_HEADER;
  const isError = icmpTypeIsError(readIcmpHeader(buf, f));
  f.icmpIsError = isError ? 1 : 0;
  if (!isError) return DROP_NONE;

  const io = o + ICMP_HLEN;
  const quoted = len - ICMP_HLEN;
  if (quoted < 20) return DROP_BAD_L4_HEADER;
  const vihl = buf[io]!;
  const ihl = (vihl & 15) << 2;
  if (vihl >>> 4 !== 4 || ihl < 20 || quoted < ihl + 8) return DROP_BAD_L4_HEADER;
  const proto = buf[io + 9]!;
  const fragOff = (rd16(buf, io + 6) & IP_OFFSET) << 3;
  f.innerL3Off = io;
  f.innerIpHdrLen = ihl;
  f.innerProtocol = proto;
  f.innerSaddr = rd32i(buf, io + 12) >>> 0;
  f.innerDaddr = rd32i(buf, io + 16) >>> 0;
  f.innerFragOff = fragOff;
  f.innerL4Off = io + ihl;
  if (fragOff === 0 && (proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP)) {
    f.innerSport = rd16(buf, io + ihl);
    f.innerDport = rd16(buf, io + ihl + 2);
  } else {
    f.innerSport = 0;
    f.innerDport = 0;
  }
  f.groups |= GROUP_INNER;
  return DROP_NONE;
}

/**
 * True when the ICMP checksum over the whole message (f.l4Len bytes) verifies. ip_vs_in_icmp()
 * drops an error that fails this before NATing it (ip_vs_checksum_complete); icmp_rcv() drops a
 * failing echo request.
 */
export function icmpChecksumOk(buf: Uint8Array, f: ParsedFrame): boolean {
  return csumFold(csumPartial(buf, f.l4Off, f.l4Len, 0)) === 0;
}
