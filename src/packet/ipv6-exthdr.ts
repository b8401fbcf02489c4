// IPv6 extension header walk (RFC 8200 section 4), bounded: ipv6_skip_exthdr() in
// net/ipv6/exthdrs_core.c, which IPVS's ip_vs_fill_iph_skb_off() reaches through ipv6_find_hdr().
//
// Walked: hop-by-hop options (only right after the fixed header, as ip6_parse_tlv's caller
// ipv6_parse_hopopts requires), routing, destination options (length (hdrlen + 1) * 8) and
// fragment (8 bytes). The walk stops at the first other next-header value. Counted drops
// (DROP_BAD_IPV6_EXTHDR) for what a director cannot see through or should not meet:
//   AH, ESP, mobility, HIP, shim6, the experimental 253/254 and "no next header" (59): no L4
//     header to find a connection by (the kernel's ipv6_ext_hdr() knows AH and NONE and walks no
//     further than the first three kinds either for a connection lookup);
//   hop-by-hop anywhere but first (RFC 8200 4.1: "MUST ... immediately after the IPv6 header");
//   more than IPV6_MAX_EXTHDRS headers (RFC 8200 4.1 allows each once and destination options
//     twice: five of the walked kinds; a longer chain is crafted to make a parser loop);
//   a header that does not fit inside the payload.
// The walk stops after a non-first fragment's header: what follows it is not a header.
// Results go to the caller's preallocated Exthdr6Walk; nothing allocates.

import { DROP_BAD_IPV6_EXTHDR, DROP_NONE } from '../lib/drops.ts';
import { rd16, rd32 } from './bytes.ts';

export const NEXTHDR_HOP = 0;
export const NEXTHDR_ROUTING = 43;
export const NEXTHDR_FRAGMENT = 44;
export const NEXTHDR_ESP = 50;
export const NEXTHDR_AUTH = 51;
export const NEXTHDR_NONE = 59;
export const NEXTHDR_DEST = 60;
export const NEXTHDR_MOBILITY = 135;
export const NEXTHDR_HIP = 139;
export const NEXTHDR_SHIM6 = 140;
export const NEXTHDR_EXP1 = 253;
export const NEXTHDR_EXP2 = 254;

/** Most extension headers walked in one packet (see above: a conforming packet has at most 5). */
export const IPV6_MAX_EXTHDRS = 8;
/** Fragment header length and its flag / offset field. */
export const FRAG6_HLEN = 8;
const IP6_OFFSET = 0xfff8;
const IP6_MF = 0x0001;

/** Where the walk ended: the upper-layer protocol, its offset and the fragment header's fields. */
export class Exthdr6Walk {
  proto: number;
  /** Offset of the upper-layer header (or where a non-first fragment's data starts). */
  l4Off: number;
  count: number;
  fragHdrOff: number;
  /** Fragment offset in bytes (8-byte units in the header), 0 when not a fragment. */
  fragOff: number;
  moreFrags: number;
  fragId: number;

  constructor() {
    this.proto = 0;
    this.l4Off = 0;
    this.count = 0;
    this.fragHdrOff = -1;
    this.fragOff = 0;
    this.moreFrags = 0;
    this.fragId = 0;
  }
}

/** True for the next-header values that are extension headers this walk refuses. */
function refused(nh: number): boolean {
  return (
    nh === NEXTHDR_AUTH ||
    nh === NEXTHDR_ESP ||
    nh === NEXTHDR_NONE ||
    nh === NEXTHDR_MOBILITY ||
    nh === NEXTHDR_HIP ||
    nh === NEXTHDR_SHIM6 ||
    nh === NEXTHDR_EXP1 ||
    nh === NEXTHDR_EXP2
  );
}

/**
 * Walk the chain that starts with next-header `nh` at `off` (right after a fixed IPv6 header) and
 * ends by `end`. Returns DROP_NONE with w filled, or DROP_BAD_IPV6_EXTHDR.
 */
export function walkExthdrs6(buf: Uint8Array, off: number, end: number, nh: number, w: Exthdr6Walk): number {
  w.count = 0;
  w.fragHdrOff = -1;
  w.fragOff = 0;
  w.moreFrags = 0;
  w.fragId = 0;
  for (;;) {
    if (nh !== NEXTHDR_HOP && nh !== NEXTHDR_ROUTING && nh !== NEXTHDR_DEST && nh !== NEXTHDR_FRAGMENT) {
      if (refused(nh)) return DROP_BAD_IPV6_EXTHDR;
      break;
    }
    if (nh === NEXTHDR_HOP && w.count !== 0) return DROP_BAD_IPV6_EXTHDR;
    if (++w.count > IPV6_MAX_EXTHDRS || off + 8 > end) return DROP_BAD_IPV6_EXTHDR;
    const next = buf[off]!;
    if (nh === NEXTHDR_FRAGMENT) {
      const fo = rd16(buf, off + 2);
      w.fragHdrOff = off;
      w.fragOff = fo & IP6_OFFSET;
      w.moreFrags = fo & IP6_MF;
      w.fragId = rd32(buf, off + 4);
      off += FRAG6_HLEN;
      nh = next;
      // A non-first fragment carries data, not headers, after its fragment header.
      if (w.fragOff !== 0) break;
      continue;
    }
    const len = (buf[off + 1]! + 1) << 3;
    if (off + len > end) return DROP_BAD_IPV6_EXTHDR;
    off += len;
    nh = next;
  }
  w.proto = nh;
  w.l4Off = off;
  return DROP_NONE;
}
