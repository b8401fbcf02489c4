// Internet checksum (RFC 1071) and incremental updates (RFC 1624), as include/net/checksum.h,
// net/core/utils.c (inet_proto_csum_replace4) and include/net/ip_vs.h (ip_vs_check_diff4/2) do them.
//
// Vocabulary, as in the kernel:
//   sum      a one's complement accumulator: any non-negative integer below 2^32, folded or not
//   fold16   end-around-carry fold of a sum to 16 bits, NOT complemented
//   csumFold the kernel's csum_fold(): fold16 then complement; what a checksum field holds
// All 16-bit quantities are big-endian field values as read by rd16(). One's complement
// addition is byte-order independent (RFC 1071 section 2(B)), so this equals the kernel's
// little-endian arithmetic byte for byte.
//
// Two kinds of L4 checksum field:
//   full      ~fold16(pseudo-header + L4 header + payload)   (what the wire carries)
//   partial   fold16(pseudo-header) NOT complemented           (CHECKSUM_PARTIAL, as Linux's
//             tcp_v4_send_check / udp4_hwcsum leave it for the NIC to finish)
// An address change touches both kinds (addresses are in the pseudo-header); a port change
// touches only a full checksum (ports are not in the pseudo-header).

import { viewOf } from './buf-view.ts';

/** Below this many bytes csumPartial reads bytes; from it on, 32-bit words through a DataView. */
const WORDS_MIN_LEN = 64;
/** 16-byte steps between folds in the word loop: keeps the accumulator below 2^31. */
const STEPS_PER_FOLD = 2048;

/** fold16: end-around-carry fold of a sum below 2^32 to 16 bits (NOT complemented). */
export function fold16(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** The kernel's csum_fold(): fold and complement; the value a checksum field carries. */
export function csumFold(sum: number): number {
  return ~fold16(sum) & 0xffff;
}

/**
 * RFC 1071 sum of buf[off, off + len) added to `sum` (csum_partial in lib/checksum.c), folded to
 * 16 bits but not complemented. Big-endian 16-bit words; an odd last byte is padded with a zero
 * byte. Short ranges are read byte by byte; long ones 16 bytes per step as four big-endian
 * 32-bit words (DataView.getUint32 compiles to one load + byte swap), folding every 32 KiB so the
 * accumulator stays a small integer.
 */
export function csumPartial(buf: Uint8Array, off: number, len: number, sum: number): number {
  let s = fold16(sum);
  let i = off;
  const end = off + len;
  if (len >= WORDS_MIN_LEN) {
    const dv = viewOf(buf);
    let p = off;
    const end16 = p + (len & ~15);
    let steps = 0;
    while (p < end16) {
      const w0 = dv.getUint32(p);
      const w1 = dv.getUint32(p + 4);
      const w2 = dv.getUint32(p + 8);
      const w3 = dv.getUint32(p + 12);
      s +=
        (w0 >>> 16) +
        (w0 & 0xffff) +
        (w1 >>> 16) +
        (w1 & 0xffff) +
        (w2 >>> 16) +
        (w2 & 0xffff) +
        (w3 >>> 16) +
        (w3 & 0xffff);
      p += 16;
      if (++steps === STEPS_PER_FOLD) {
        s = fold16(s);
        steps = 0;
      }
    }
    i = p;
  }
  while (i + 1 < end) {
    s += (buf[i]! << 8) | buf[i + 1]!;
    i += 2;
  }
  if (i < end) s += buf[i]! << 8;
  return fold16(s);
}

/** One's complement add of two sums (csum_add), folded. */
export function csumAdd(a: number, b: number): number {
  return fold16(fold16(a) + fold16(b));
}

/**
 * Pseudo-header sum for TCP/UDP over IPv4 (csum_tcpudp_nofold): saddr, daddr, zero + protocol,
 * L4 length. Unfolded; at most 6 x 0xffff.
 */
export function pseudoSum(saddr: number, daddr: number, protocol: number, len: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + protocol + len;
}

/** csum_tcpudp_magic(): the full L4 checksum from the pseudo-header and the L4 bytes' sum. */
export function csumTcpudpMagic(saddr: number, daddr: number, len: number, protocol: number, sum: number): number {
  return csumFold(pseudoSum(saddr, daddr, protocol, len) + fold16(sum));
}

/**
 * ip_fast_csum(): checksum of an IPv4 header of hlen bytes (a multiple of 4, 20..60); 0 when the
 * header verifies. The 20 fixed bytes are summed unrolled (every packet pays this on receive).
 */
export function ipFastCsum(buf: Uint8Array, off: number, hlen: number): number {
  let s =
    ((buf[off]! << 8) | buf[off + 1]!) +
    ((buf[off + 2]! << 8) | buf[off + 3]!) +
    ((buf[off + 4]! << 8) | buf[off + 5]!) +
    ((buf[off + 6]! << 8) | buf[off + 7]!) +
    ((buf[off + 8]! << 8) | buf[off + 9]!) +
    ((buf[off + 10]! << 8) | buf[off + 11]!) +
    ((buf[off + 12]! << 8) | buf[off + 13]!) +
    ((buf[off + 14]! << 8) | buf[off + 15]!) +
    ((buf[off + 16]! << 8) | buf[off + 17]!) +
    ((buf[off + 18]! << 8) | buf[off + 19]!);
  for (let i = off + 20; i < off + hlen; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  return csumFold(s);
}

/** ip_send_check(): recompute and store the IPv4 header checksum at off (the header start). */
export function ipSendCheck(buf: Uint8Array, off: number): void {
  const hlen = (buf[off]! & 15) << 2;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const c = ipFastCsum(buf, off, hlen);
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c;
}

/**
 * ip_vs_check_diff4(old, new, 0): the sum { ~old, new } over the two 16-bit halves. Adding it to
 * a complemented-then-unfolded checksum replaces `old` by `new` inside what the checksum covers.
 */
export function diff4(oldV: number, newV: number): number {
  return ((oldV >>> 16) ^ 0xffff) + ((oldV & 0xffff) ^ 0xffff) + (newV >>> 16) + (newV & 0xffff);
}

/** ip_vs_check_diff2(old, new, 0): the sum { ~old, new } of a 16-bit value. */
export function diff2(oldV: number, newV: number): number {
  return (oldV ^ 0xffff) + newV;
}

/**
 * csum_replace4() (include/net/checksum.h), RFC 1624 eqn. 3  HC' = ~(~HC + ~m + m'):
 * a complemented checksum after a covered 32-bit value changes from `from` to `to`.
 */
export function csumReplace4(check: number, from: number, to: number): number {
  return csumFold((~check & 0xffff) + diff4(from, to));
}

/** csum_replace2(): as csumReplace4 for a 16-bit value. */
export function csumReplace2(check: number, from: number, to: number): number {
  return csumFold((~check & 0xffff) + diff2(from, to));
}

/**
 * inet_proto_csum_replace4() for skb->ip_summed == CHECKSUM_PARTIAL (net/core/utils.c):
 *   *sum = ~csum_fold(csum_add(csum_sub(csum_unfold(*sum), from), to));
 * The field is a NON-complemented pseudo-header sum, so it is unfolded WITHOUT a complement
 * (the CHECKSUM_NONE/COMPLETE branch is the one that starts from ~csum_unfold(*sum)), and the
 * result is the plain fold. Equals fold16(pseudo-header with `to`) computed from scratch.
 */
export function csumReplace4Partial(check: number, from: number, to: number): number {
  return fold16(check + diff4(from, to));
}
