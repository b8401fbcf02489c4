// UDP header (RFC 768): parse ports and length into a ParsedFrame, with the length checks of
// __udp4_lib_rcv() in net/ipv4/udp.c (ulen < 8 or ulen > the IP payload -> bad header).

import { DROP_NONE, DROP_BAD_L4_HEADER } from '../lib/drops.ts';
import { rd16 } from './bytes.ts';
import { GROUP_L4 } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const UDP_HLEN = 8;
/** Offset of the checksum field inside the UDP header. 0 there means "no checksum" (IPv4). */
export const UDP_CHECK_OFF = 6;

/**
 * Parse the UDP header at f.l4Off. A first fragment (MF set) carries the length of the whole
 * datagram, so the "ulen beyond the payload" check applies to unfragmented datagrams only.
 * ulen shorter than the IP payload is accepted (the kernel trims the excess); payloadLen then
 * follows ulen.
 */
export function parseUdp(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.l4Off;
  const len = f.l4Len;
  if (len < UDP_HLEN) return DROP_BAD_L4_HEADER;
  const ulen = rd16(buf, o + 4);
  if (ulen < UDP_HLEN) return DROP_BAD_L4_HEADER;
  if (f.moreFrags === 0 && ulen > len) return DROP_BAD_L4_HEADER;
  f.sport = rd16(buf, o);
  f.dport = rd16(buf, o + 2);
  f.tcpFlags = 0;
  f.tcpHdrLen = 0;
  f.l4CsumOff = o + UDP_CHECK_OFF;
  f.payloadOff = o + UDP_HLEN;
  f.payloadLen = (f.moreFrags === 0 ? ulen : len) - UDP_HLEN;
  f.groups |= GROUP_L4;
  return DROP_NONE;
}
