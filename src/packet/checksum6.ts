// IPv6 pseudo-header sums (RFC 8200 section 8.1) and RFC 1624 updates over 128-bit addresses:
// csum_ipv6_magic() (net/ipv6/ip6_checksum.c) and ip_vs_check_diff16() (include/net/ip_vs.h).
//
// Addresses are four host-order words (src/lib/inet6.ts). Vocabulary as in checksum.ts: a sum is
// unfolded and below 2^32, fold16 folds it, csumFold folds and complements. IPv6 has no header
// checksum: an address change touches only the L4 checksums whose pseudo-header covers it (TCP,
// UDP and, unlike IPv4, ICMPv6).

import { csumFold, diff4, fold16 } from './checksum.ts';

/** The 16-bit halves of four words summed; at most 8 x 0xffff. */
function sum128(w: Uint32Array): number {
  const a = w[0]!;
  const b = w[1]!;
  const c = w[2]!;
  const d = w[3]!;
  return (a >>> 16) + (a & 0xffff) + (b >>> 16) + (b & 0xffff) + (c >>> 16) + (c & 0xffff) + (d >>> 16) + (d & 0xffff);
}

/**
 * Pseudo-header sum (csum_ipv6_magic before its fold): source, destination, the 32-bit
 * upper-layer length, three zero bytes and the next header. Unfolded; at most 19 x 0xffff.
 */
export function pseudoSum6(saddr: Uint32Array, daddr: Uint32Array, protocol: number, len: number): number {
  return sum128(saddr) + sum128(daddr) + (len >>> 16) + (len & 0xffff) + protocol;
}

/** csum_ipv6_magic(): the full checksum from the pseudo-header and the upper layer's sum. */
export function csumIpv6Magic(
  saddr: Uint32Array,
  daddr: Uint32Array,
  len: number,
  protocol: number,
  sum: number,
): number {
  return csumFold(pseudoSum6(saddr, daddr, protocol, len) + fold16(sum));
}

/**
 * ip_vs_check_diff16(old, new, 0): the sum { ~old, new } over the eight 16-bit groups of two
 * addresses, old = oldW[0..3], new = newW[at .. at + 3] (a connection column: id << 2); at most
 * 16 x 0xffff. Added to an unfolded checksum it replaces old by new.
 */
export function diff16(oldW: Uint32Array, newW: Uint32Array, at: number): number {
  return (
    diff4(oldW[0]!, newW[at]!) +
    diff4(oldW[1]!, newW[at + 1]!) +
    diff4(oldW[2]!, newW[at + 2]!) +
    diff4(oldW[3]!, newW[at + 3]!)
  );
}

/** RFC 1624 eqn. 3 over a 128-bit address: a complemented checksum after `from` became `to`. */
export function csumReplace16(check: number, from: Uint32Array, to: Uint32Array): number {
  return csumFold((~check & 0xffff) + diff16(from, to, 0));
}

/**
 * inet_proto_csum_replace16() for CHECKSUM_PARTIAL: the field is a non-complemented pseudo-header
 * sum, so it is updated without complements (as csumReplace4Partial in checksum.ts).
 */
export function csumReplace16Partial(check: number, from: Uint32Array, to: Uint32Array): number {
  return fold16(check + diff16(from, to, 0));
}
