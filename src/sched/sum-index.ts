// Running-sum search over ScanTree slots, for ip_vs_twos.c: "the first server in scan order
// whose running weight sum reaches r". Scan order is DESCENDING slot (see scan-tree.ts).
//
// Two ways, same answers:
// - a 16-ary tree of suffix sums, O(log16 n), always current: sums[0][s] = val[s] + ... +
//   val[s | 15] (to the end of s's group of 16); level l + 1 does the same over the group totals
//   of level l (sums[l][16 i]); the top level has at most 16 entries and sums[top][0] is the total;
// - a guide table, O(1) expected: the servers with a value in scan order with their running sums,
//   and per bucket b the first of them whose sum reaches floor(b * total / count) + 1. It is built
//   lazily once as many queries as servers have passed without a change, so frequent changes
//   (weight edits, OVERLOAD flips) keep using the tree.
// Values are integers with a total below 2^31 (the kernel's total_weight is an int).

const FAN_BITS = 4;
const FAN = 1 << FAN_BITS;

export class SumIndex {
  readonly sums: Int32Array[];
  private readonly gSum: Float64Array;
  private readonly gSlot: Int32Array;
  private readonly guide: Int32Array;
  private gCount: number;
  private gTotal: number;
  private guideValid: boolean;
  private sinceChange: number;

  constructor(cap: number) {
    this.sums = [];
    let len = cap;
    for (;;) {
      this.sums.push(new Int32Array(len < FAN ? FAN : len)); // whole groups, zero padded
      if (len <= FAN) break;
      len = len >> FAN_BITS;
    }
    this.gSum = new Float64Array(cap);
    this.gSlot = new Int32Array(cap);
    this.guide = new Int32Array(cap);
    this.gCount = 0;
    this.gTotal = 0;
    this.guideValid = false;
    this.sinceChange = 0;
  }

  /** val[slot] changed by delta. */
  update(slot: number, delta: number): void {
    this.guideValid = false;
    this.sinceChange = 0;
    const sums = this.sums;
    let i = slot;
    for (let l = 0; l < sums.length; l++) {
      const a = sums[l]!;
      for (let t = i & ~(FAN - 1); t <= i; t++) a[t] = a[t]! + delta;
      i >>= FAN_BITS;
    }
  }

  total(): number {
    return this.sums[this.sums.length - 1]![0]!;
  }

  /** The first slot in scan order whose running sum reaches r (1 <= r <= total()). */
  find(r: number, val: Int32Array, next: number, live: number): number {
    if (this.guideValid) return this.guideFind(r);
    if (++this.sinceChange >= live) {
      this.buildGuide(val, next);
      return this.guideFind(r);
    }
    return this.treeFind(r);
  }

  /**
   * Within a group of 16, scan order is descending index and the suffix sums are the running
   * sums, non-increasing with the index: the wanted child is the last t with sum[t] >= r (a
   * four-step binary search without branches: ((r - a - 1) >> 31) is -1 when a >= r, else 0, in
   * int32 arithmetic), and r then drops by sum[t + 1], the sum of the children before it.
   */
  treeFind(r: number): number {
    const sums = this.sums;
    r |= 0;
    let j = 0;
    for (let l = sums.length - 1; l >= 0; l--) {
      const a = sums[l]!;
      let t = j << FAN_BITS;
      t += ((r - a[t + 8]! - 1) >> 31) & 8;
      t += ((r - a[t + 4]! - 1) >> 31) & 4;
      t += ((r - a[t + 2]! - 1) >> 31) & 2;
      t += ((r - a[t + 1]! - 1) >> 31) & 1;
      if ((t & (FAN - 1)) !== FAN - 1) r -= a[t + 1]!;
      j = t;
    }
    return j;
  }

  /**
   * r's bucket b = floor((r - 1) * count / total) starts at or before the answer, because its
   * lowest r, floor(b * total / count) + 1, is <= r; the walk then takes ~1 step on average.
   * (Both floors are exact: the quotients are below 2^17 and, when not integers, at least
   * 1 / total away from the next integer, far more than their rounding error.)
   */
  private guideFind(r: number): number {
    const b = Math.floor(((r - 1) * this.gCount) / this.gTotal);
    let k = this.guide[b]!;
    const sum = this.gSum;
    while (sum[k]! < r) k++;
    return this.gSlot[k]!;
  }

  /** O(n): one walk in scan order, then one pass over the buckets. */
  private buildGuide(val: Int32Array, next: number): void {
    let k = 0;
    let run = 0;
    for (let s = next - 1; s >= 0; s--) {
      const v = val[s]!;
      if (v === 0) continue;
      run += v;
      this.gSum[k] = run;
      this.gSlot[k] = s;
      k++;
    }
    this.gCount = k;
    this.gTotal = run;
    let j = 0;
    for (let b = 0; b < k; b++) {
      const lowest = Math.floor((b * run) / k) + 1;
      while (this.gSum[j]! < lowest) j++;
      this.guide[b] = j;
    }
    this.guideValid = k > 0;
  }
}
