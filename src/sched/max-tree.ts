// Binary max segment tree over ScanTree slots, for the cursor walks of ip_vs_rr.c and
// ip_vs_wrr.c: "the first server after the cursor, in scan order, whose value is >= x".
//
// Nodes 1..2cap-1, leaves at cap + slot. Scan order is DESCENDING slot (see scan-tree.ts), so
// "after pos" means the highest slot below pos.

export class MaxTree {
  cap: number;
  mx: Int32Array;

  constructor(cap: number) {
    this.cap = cap;
    this.mx = new Int32Array(2 * cap);
  }

  update(slot: number, value: number): void {
    const mx = this.mx;
    let n = this.cap + slot;
    mx[n] = value;
    n >>= 1;
    while (n >= 1) {
      const a = mx[2 * n]!;
      const b = mx[2 * n + 1]!;
      mx[n] = a > b ? a : b;
      n >>= 1;
    }
  }

  maxAll(): number {
    return this.mx[1]!;
  }

  /** The highest slot below pos whose value is >= min (min >= 1, so holes never match), or -1. */
  findAfter(pos: number, min: number): number {
    const cap = this.cap;
    const mx = this.mx;
    if (pos > cap) pos = cap;
    if (pos <= 0) return -1;
    let n = cap + pos - 1;
    for (;;) {
      if (mx[n]! >= min) {
        while (n < cap) n = mx[2 * n + 1]! >= min ? 2 * n + 1 : 2 * n;
        return n - cap;
      }
      // Step to the node covering the slots just below n's range: climb while n is a left child.
      for (;;) {
        if (n === 1) return -1;
        if ((n & 1) === 1) {
          n -= 1;
          break;
        }
        n >>= 1;
      }
    }
  }
}
