// IPv4 header (RFC 791, options allowed): parse into a ParsedFrame with the checks of
// ip_rcv_core() in net/ipv4/ip_input.c, in the same order.

import {
  DROP_NONE,
  DROP_SHORT_FRAME,
  DROP_BAD_IP_VERSION,
  DROP_BAD_IP_HEADER,
  DROP_BAD_IP_CHECKSUM,
} from '../lib/drops.ts';
import { rd16 } from './bytes.ts';
import { rd32v } from './buf-view.ts';
import { ipFastCsum } from './checksum.ts';
import { GROUP_IP } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const IPV4_HLEN = 20;
export const IPV4_MAX_HLEN = 60;
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;

/** Field offsets inside the IPv4 header. */
export const IPH_TOT_LEN = 2;
export const IPH_ID = 4;
export const IPH_FRAG = 6;
export const IPH_TTL = 8;
export const IPH_PROTOCOL = 9;
export const IPH_CHECK = 10;
export const IPH_SADDR = 12;
export const IPH_DADDR = 16;

/**
 * Parse the IPv4 header at f.l3Off; frameEnd is the end of the frame.
 *   fewer than 20 bytes                      DROP_SHORT_FRAME
 *   version != 4                             DROP_BAD_IP_VERSION
 *   IHL < 5, tot_len < IHL*4, tot_len > data DROP_BAD_IP_HEADER   (ip_rcv_core: inhdr_error / truncated)
 *   header checksum wrong                    DROP_BAD_IP_CHECKSUM
 * tot_len is authoritative: bytes after it (Ethernet padding) are not part of the packet, so
 * l4Len = tot_len - IHL*4. A GSO superpacket passes as long as its tot_len is correct.
 * (tot_len 0 as BIG TCP uses for > 64 KiB is rejected: not supported.)
 */
export function parseIpv4(buf: Uint8Array, f: ParsedFrame, frameEnd: number): number {
  const o = f.l3Off;
  const avail = frameEnd - o;
  if (avail < IPV4_HLEN) return DROP_SHORT_FRAME;
  const vihl = buf[o]!;
  if (vihl >>> 4 !== 4) return DROP_BAD_IP_VERSION;
  const hlen = (vihl & 15) << 2;
  if (hlen < IPV4_HLEN) return DROP_BAD_IP_HEADER;
  const tot = rd16(buf, o + IPH_TOT_LEN);
  if (tot < hlen || tot > avail) return DROP_BAD_IP_HEADER;
  if (ipFastCsum(buf, o, hlen) !== 0) return DROP_BAD_IP_CHECKSUM;
  const frag = rd16(buf, o + IPH_FRAG);
  f.ipHdrLen = hlen;
  f.ipTotalLen = tot;
  f.ipTos = buf[o + 1]!;
  f.ipId = rd16(buf, o + IPH_ID);
  f.dontFrag = (frag & IP_DF) !== 0 ? 1 : 0;
  f.moreFrags = (frag & IP_MF) !== 0 ? 1 : 0;
  f.fragOff = (frag & IP_OFFSET) << 3;
  f.ttl = buf[o + IPH_TTL]!;
  f.protocol = buf[o + IPH_PROTOCOL]!;
  f.saddr = rd32v(buf, o + IPH_SADDR);
  f.daddr = rd32v(buf, o + IPH_DADDR);
  f.l4Off = o + hlen;
  f.l4Len = tot - hlen;
  f.groups |= GROUP_IP;
  return DROP_NONE;
}
