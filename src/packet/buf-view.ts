// A DataView per frame buffer, made once and kept: the engine's frames live in a few long-lived
// buffers (the RX ring's region, TX scratch, the SYN proxy's frames), so after start-up this
// never allocates. Two slots so that reading one buffer and writing another (ICMP error builders)
// does not thrash. A DataView access is one bounds check and one load or store (byte-swapped for
// big-endian) where byte-wise code needs four of each.
//
// The cache is keyed by the Uint8Array itself, a pointer compare: reading `buf.buffer` per
// packet costs a builtin call that the hit path must not pay. The view covers exactly buf's
// bytes, so offsets into buf are offsets into the view.

let buf0: Uint8Array | null = null;
let view0: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let buf1: Uint8Array | null = null;
let view1: DataView<ArrayBufferLike> = view0;

/** A buffer not in the two slots: it takes slot 0, the old slot 0 moves to slot 1. */
function viewMiss(buf: Uint8Array): DataView<ArrayBufferLike> {
  if (buf === buf1) {
    buf1 = buf0;
    const v = view1;
    view1 = view0;
    buf0 = buf;
    view0 = v;
    return v;
  }
  buf1 = buf0;
  view1 = view0;
  buf0 = buf;
  view0 = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return view0;
}

/** The DataView over buf's bytes (offsets as into buf). */
export function viewOf(buf: Uint8Array): DataView<ArrayBufferLike> {
  return buf === buf0 ? view0 : viewMiss(buf);
}

/** Big-endian 32-bit word at buf[off .. off + 3], unsigned. */
export function rd32v(buf: Uint8Array, off: number): number {
  return viewOf(buf).getUint32(off);
}

/** Write v as a big-endian 32-bit word at buf[off .. off + 3]. */
export function wr32v(buf: Uint8Array, off: number, v: number): void {
  viewOf(buf).setUint32(off, v);
}
