// FrameView: the fuzzer's own reader of Ethernet/IPv4/L4 frames and its reference checksums,
// written apart from src/packet (plain loops, no incremental maths) so the invariants compare
// two implementations. Used to judge emitted frames and to fix up mutated ones.
//
// A checksum "residual" is what a receiver folds when it verifies: the RFC 1071 sum over
// everything the checksum covers, the checksum field included. It is 0xffff when the checksum
// is right. NAT with RFC 1624 updates keeps a wrong checksum exactly as wrong, so the residual
// of a rewritten frame equals the residual of the frame it came from.
//   full     residual = fold(pseudo-header + L4 bytes)              (what the wire carries)
//   partial  residual = fold(field + ~fold(pseudo-header))          (CHECKSUM_PARTIAL: the field
//            holds the pseudo-header sum, not complemented; the L4 bytes are summed later by a NIC)

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;

/** Fold a non-negative sum to 16 bits (end-around carry), not complemented. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Plain RFC 1071 sum of b[off, off + len), big-endian words, an odd byte padded, folded. */
export function sum16(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  if ((len & 1) !== 0) s += b[off + len - 1]! << 8;
  return fold(s);
}

export function rd16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

export function wr16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

export function rd32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function wr32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Offset of the L3 header (after one 802.1Q tag), or -1 when the frame is too short for it. */
export function l3Of(b: Uint8Array): number {
  if (b.length < 14) return -1;
  if (rd16(b, 12) !== ETH_P_8021Q) return 14;
  return b.length < 18 ? -1 : 18;
}

/** EtherType after an optional 802.1Q tag, or -1. */
export function ethTypeOf(b: Uint8Array): number {
  const l3 = l3Of(b);
  return l3 < 0 ? -1 : rd16(b, l3 - 2);
}

/** The IPv4 header and L4 bounds of a frame, as a receiver reads them; null if it is not sane. */
export interface Ipv4Shape {
  l3: number;
  ihl: number;
  totLen: number;
  proto: number;
  saddr: number;
  daddr: number;
  /** Fragment offset in bytes. */
  fragOff: number;
  moreFrags: boolean;
  l4: number;
  l4Len: number;
}

/** Reads the IPv4 header of a frame when its version, IHL and total length fit the frame. */
export function ipv4Shape(b: Uint8Array): Ipv4Shape | null {
  const l3 = l3Of(b);
  if (l3 < 0 || ethTypeOf(b) !== ETH_P_IP || b.length < l3 + 20) return null;
  if (b[l3]! >>> 4 !== 4) return null;
  const ihl = (b[l3]! & 15) * 4;
  const totLen = rd16(b, l3 + 2);
  if (ihl < 20 || totLen < ihl || l3 + totLen > b.length) return null;
  const frag = rd16(b, l3 + 6);
  return {
    l3,
    ihl,
    totLen,
    proto: b[l3 + 9]!,
    saddr: rd32(b, l3 + 12),
    daddr: rd32(b, l3 + 16),
    fragOff: (frag & 0x1fff) * 8,
    moreFrags: (frag & 0x2000) !== 0,
    l4: l3 + ihl,
    l4Len: totLen - ihl,
  };
}

/** 0 when the IPv4 header checksum verifies (over ihl bytes at l3). */
export function ipHeaderCheck(b: Uint8Array, l3: number, ihl: number): number {
  return ~sum16(b, l3, ihl) & 0xffff;
}

/** Recompute the IPv4 header checksum in place (the IHL as written, bounded by the frame). */
export function fixIpChecksum(b: Uint8Array): void {
  const l3 = l3Of(b);
  if (l3 < 0 || b.length < l3 + 20) return;
  const ihl = Math.min((b[l3]! & 15) * 4, b.length - l3);
  if (ihl < 20) return;
  wr16(b, l3 + 10, 0);
  wr16(b, l3 + 10, ~sum16(b, l3, ihl) & 0xffff);
}

/** Offset of the L4 checksum field inside the L4 header, or -1 for protocols without one here. */
export function l4CheckAt(proto: number): number {
  return proto === 6 ? 16 : proto === 17 ? 6 : proto === 1 ? 2 : -1;
}

/**
 * Bytes the L4 checksum covers, as a receiver counts them: the UDP length for UDP (udp_rcv trims
 * to it), the IP payload otherwise. -1 when the header does not fit.
 */
export function l4CoveredLen(b: Uint8Array, s: Ipv4Shape): number {
  if (s.proto === 6) return s.l4Len >= 20 ? s.l4Len : -1;
  if (s.proto === 17) {
    if (s.l4Len < 8) return -1;
    const ulen = rd16(b, s.l4 + 4);
    return ulen >= 8 && ulen <= s.l4Len ? ulen : -1;
  }
  if (s.proto === 1) return s.l4Len >= 8 ? s.l4Len : -1;
  return -1;
}

function pseudo(s: Ipv4Shape, len: number): number {
  return (s.saddr >>> 16) + (s.saddr & 0xffff) + (s.daddr >>> 16) + (s.daddr & 0xffff) + s.proto + len;
}

/** The residual of a TCP/UDP/ICMP checksum (0xffff = right); -1 when there is nothing to check. */
export function l4Residual(b: Uint8Array, s: Ipv4Shape, partial: boolean): number {
  const len = l4CoveredLen(b, s);
  if (len < 0 || s.fragOff !== 0) return -1;
  if (s.proto === 1) return sum16(b, s.l4, len);
  if (partial) return fold(rd16(b, s.l4 + l4CheckAt(s.proto)) + (~fold(pseudo(s, len)) & 0xffff));
  return fold(pseudo(s, len) + sum16(b, s.l4, len));
}

/** UDP over IPv4 with checksum 0: the sender computed none (RFC 768); nothing to verify. */
export function udpNoChecksum(b: Uint8Array, s: Ipv4Shape): boolean {
  return s.proto === 17 && s.l4Len >= 8 && rd16(b, s.l4 + 6) === 0;
}

/** Rewrite the L4 checksum so it verifies (full) or holds the pseudo-header sum (partial). */
export function fixL4Checksum(b: Uint8Array, partial: boolean): void {
  const s = ipv4Shape(b);
  if (s === null || s.fragOff !== 0) return;
  const len = l4CoveredLen(b, s);
  if (len < 0) return;
  const at = s.l4 + l4CheckAt(s.proto);
  wr16(b, at, 0);
  if (s.proto === 1) {
    wr16(b, at, ~sum16(b, s.l4, len) & 0xffff);
    return;
  }
  if (partial) {
    wr16(b, at, fold(pseudo(s, len)));
    return;
  }
  let c = ~fold(pseudo(s, len) + sum16(b, s.l4, len)) & 0xffff;
  if (s.proto === 17 && c === 0) c = 0xffff;
  wr16(b, at, c);
}

/** What a frame is, for tallies: TCP, UDP, an ICMP error, other ICMP, or ARP (anything else). */
export function frameKind(b: Uint8Array): 'tcp' | 'udp' | 'icmpError' | 'icmp' | 'arp' {
  const s = ipv4Shape(b);
  if (s === null) return 'arp';
  if (s.proto === 6) return 'tcp';
  if (s.proto === 17) return 'udp';
  const type = s.l4Len > 0 ? b[s.l4]! : -1;
  return s.proto === 1 && (type === 3 || type === 4 || type === 11 || type === 12) ? 'icmpError' : 'icmp';
}
