// TCP header (RFC 9293): parse ports, flags and data offset into a ParsedFrame, with the header
// checks of tcp_v4_rcv() (net/ipv4/tcp_ipv4.c: doff < 5 or beyond the segment -> bad header).

import { DROP_NONE, DROP_BAD_L4_HEADER } from '../lib/drops.ts';
import { rd16 } from './bytes.ts';
import { GROUP_L4 } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const TCP_HLEN = 20;
/** Offset of the checksum field inside the TCP header. */
export const TCP_CHECK_OFF = 16;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Parse the TCP header at f.l4Off (f.l4Len bytes of segment). */
export function parseTcp(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const len = f.l4Len;
  if (len < TCP_HLEN) return DROP_BAD_L4_HEADER;
  const hlen = (buf[o + 12]! >>> 4) << 2;
  if (hlen < TCP_HLEN || hlen > len) return DROP_BAD_L4_HEADER;
  f.sport = rd16(buf, o);
  f.dport = rd16(buf, o + 2);
  f.tcpFlags = buf[o + 13]!;
  f.tcpHdrLen = hlen;
  f.l4CsumOff = o + TCP_CHECK_OFF;
  f.payloadOff = o + hlen;
  f.payloadLen = len - hlen;
  f.groups |= GROUP_L4;
  return DROP_NONE;
}
