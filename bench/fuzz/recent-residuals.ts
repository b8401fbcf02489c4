// RecentResiduals: the checksum residuals (frame-view.ts) of the last frames received with a
// wrong L4 checksum, as a multiset over a ring. A frame the director emits without a known origin
// (held in the ARP queue, sent later) may be exactly as wrong as one of these, and only so.

export class RecentResiduals implements Pick<ReadonlySet<number>, 'has'> {
  private readonly ring: Int32Array;
  private at = 0;
  private readonly counts = new Map<number, number>();

  constructor(size: number) {
    this.ring = new Int32Array(size).fill(-1);
  }

  has(r: number): boolean {
    return this.counts.has(r);
  }

  /** Remember r, forgetting the oldest one once the ring is full. */
  add(r: number): void {
    const old = this.ring[this.at]!;
    if (old >= 0) {
      const n = this.counts.get(old)! - 1;
      if (n === 0) this.counts.delete(old);
      else this.counts.set(old, n);
    }
    this.ring[this.at] = r;
    this.at = (this.at + 1) % this.ring.length;
    this.counts.set(r, (this.counts.get(r) ?? 0) + 1);
  }
}
