// Big-endian (network order) field readers and writers by offset; the caller checks bounds first.
//
// Tiny on purpose so V8 inlines them into the parsers and the NAT rewriter. Values are host
// numbers: a 32-bit field comes back as a uint32 (192.168.99.100 -> 0xc0a86364).

export function rd16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function rd32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * The same 32 bits as an int32 (192.168.99.100 -> -1062706332). Addresses as arguments: a uint32
 * above 2^31 is not a small integer to V8, so returning one from (or passing one to) a call that
 * is not inlined boxes it in a new HeapNumber: an allocation per packet. The hot path therefore
 * moves addresses across calls as int32 (rd32i, `x | 0`) and turns them back with `>>> 0` where
 * it stores or compares them (ParsedFrame fields, the rewriters, Xmit.toAddr).
 */
export function rd32i(buf: Uint8Array, off: number): number {
  return (buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!;
}

export function wr16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

export function wr32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** Copy n bytes forward (no allocation, unlike Buffer#subarray + copy). Ranges must not overlap. */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
}
