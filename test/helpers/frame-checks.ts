// Test-only checksum maths and checkers for the frames tests build (frames.ts) and the code under
// test emits: a naive RFC 1071 sum, the IPv4 pseudo-header, and full-recompute checks of the IPv4
// header and the TCP/UDP/ICMP checksums (complete or CHECKSUM_PARTIAL).
//
// Deliberately independent of src/packet: a plain loop over 16-bit words, no incremental maths,
// so tests compare two implementations. Allocation is fine here.

/** Naive RFC 1071 sum of b[off, off+len): 16-bit big-endian words, odd byte padded, folded. */
export function naiveSum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) {
    const hi = b[off + i]!;
    const lo = i + 1 < len ? b[off + i + 1]! : 0;
    s += hi * 256 + lo;
  }
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

export function pseudo(saddr: number, daddr: number, proto: number, len: number): number {
  return (
    Math.floor(saddr / 0x10000) + (saddr % 0x10000) + Math.floor(daddr / 0x10000) + (daddr % 0x10000) + proto + len
  );
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}
/** Offset of the IP header in a frame (after one optional 802.1Q tag). */
export function l3Offset(buf: Uint8Array): number {
  return buf[12] === 0x81 && buf[13] === 0x00 ? 18 : 14;
}

/** Full recompute: does the IPv4 header checksum verify? */
export function verifyIpChecksum(buf: Uint8Array): boolean {
  const ip = l3Offset(buf);
  const ihl = (buf[ip]! & 15) * 4;
  return naiveSum(buf, ip, ihl) === 0xffff;
}

/** The IP header checksum computed from scratch (field treated as zero). */
export function expectedIpChecksum(buf: Uint8Array): number {
  const ip = l3Offset(buf);
  const ihl = (buf[ip]! & 15) * 4;
  const copy = Buffer.from(buf.subarray(ip, ip + ihl));
  copy.writeUInt16BE(0, 10);
  return ~naiveSum(copy, 0, ihl) & 0xffff;
}

interface L4View {
  ip: number;
  l4: number;
  len: number;
  proto: number;
  saddr: number;
  daddr: number;
  csumAt: number;
}

function l4View(buf: Uint8Array): L4View {
  const ip = l3Offset(buf);
  const ihl = (buf[ip]! & 15) * 4;
  const tot = (buf[ip + 2]! << 8) | buf[ip + 3]!;
  const proto = buf[ip + 9]!;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const l4 = ip + ihl;
  const csumAt = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : proto === 1 ? l4 + 2 : -1;
  return { ip, l4, len: tot - ihl, proto, saddr: dv.getUint32(ip + 12), daddr: dv.getUint32(ip + 16), csumAt };
}

/**
 * The L4 checksum field value computed from scratch: full (complemented; UDP 0 -> 0xFFFF) or,
 * with partial = true, the folded pseudo-header sum. ICMP has no pseudo-header.
 */
export function expectedL4Checksum(buf: Uint8Array, partial = false): number {
  const v = l4View(buf);
  const copy = Buffer.from(buf.subarray(v.l4, v.l4 + v.len));
  copy.writeUInt16BE(0, v.csumAt - v.l4);
  if (v.proto === 1) return ~naiveSum(copy, 0, copy.length) & 0xffff;
  const ps = pseudo(v.saddr, v.daddr, v.proto, v.len);
  if (partial) return fold(ps);
  const c = ~fold(ps + naiveSum(copy, 0, copy.length)) & 0xffff;
  return v.proto === 17 && c === 0 ? 0xffff : c;
}

/** The L4 checksum field as it is in the frame. */
export function l4ChecksumField(buf: Uint8Array): number {
  const v = l4View(buf);
  return (buf[v.csumAt]! << 8) | buf[v.csumAt + 1]!;
}

/** Full recompute: does the TCP/UDP/ICMP checksum verify (UDP 0 = none counts as valid)? */
export function verifyL4Checksum(buf: Uint8Array): boolean {
  const v = l4View(buf);
  if (v.proto === 17 && l4ChecksumField(buf) === 0) return true;
  const s = naiveSum(buf, v.l4, v.len);
  if (v.proto === 1) return s === 0xffff;
  return fold(pseudo(v.saddr, v.daddr, v.proto, v.len) + s) === 0xffff;
}

/** A partial-checksum frame is right when its field equals the folded pseudo-header sum. */
export function verifyPartialChecksum(buf: Uint8Array): boolean {
  return l4ChecksumField(buf) === expectedL4Checksum(buf, true);
}
