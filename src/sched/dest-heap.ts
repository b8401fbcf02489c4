// Indexed 4-ary min-heap of real servers: gives the picks of the kernel's O(n) least-connection
// list scans (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c, ip_vs_fo.c, ip_vs_ovf.c) in O(log n).
//
// Every member of the service is in the heap, ordered by the load num/den ascending, then by
// dest.seq DESCENDING: among equal loads the server the kernel's list scan meets first (the
// most recently added, list head) is on top. A scheduler parks ineligible servers (weight 0,
// OVERLOAD) with park(): load +Infinity, below every eligible one; top() is null when the best
// entry is parked. dest.schedIdx holds a stable id; the heap itself is typed arrays indexed by
// position (id, key, seq) plus the position of each id, so a sift never touches a Dest object
// (at 10,000 servers that is the difference between cache hits and misses).
//
// Exactness: the kernel compares loads by cross-multiplication (loh * w2 > doh * w1 in __s64).
// We compare the doubles num/den, which is exact in our range: with 0 <= num < 2^31 and
// 1 <= den <= 2^16, two different ratios a/b != c/d differ by at least 1/(b*d), which exceeds
// the spacing of doubles near max(a/b, c/d) (at most 2^-20 / min(b, d), as the ratios are below
// 2^31 / min(b, d)), so they round to different doubles; equal ratios round to the same one.
// num < 2^31 holds while activeconns < 2^23, beyond which the kernel's int overhead
// ((activeconns << 8) + inactconns) overflows anyway.

import type { Dest } from '../model/dest.ts';

export class DestHeap {
  /** Member by id (null for free ids). */
  byId: (Dest | null)[];
  /** Free ids. */
  freeIds: number[];
  /** Heap position of each id. */
  pos: Int32Array;
  /** Id at each heap position. */
  ids: Int32Array;
  /** Load at each heap position (num / den, or +Infinity when parked). */
  key: Float64Array;
  /** dest.seq at each heap position (scan order tie-break). */
  seq: Float64Array;
  /** A free byte per member id for the owner's bookkeeping (0 on insert). */
  tag: Uint8Array;
  size: number;

  constructor(capacity = 16) {
    const cap = Math.max(4, capacity);
    this.byId = [];
    this.freeIds = [];
    this.pos = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.key = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.tag = new Uint8Array(cap);
    this.size = 0;
  }

  has(d: Dest): boolean {
    const id = d.schedIdx;
    return id >= 0 && id < this.byId.length && this.byId[id] === d;
  }

  /** The first eligible server in the scheduler's order, or null when none is eligible. */
  top(): Dest | null {
    if (this.size === 0 || this.key[0] === Infinity) return null;
    return this.byId[this.ids[0]!]!;
  }

  /** Insert d (or move it) with load num/den; den > 0 (integers: no double crosses a call). */
  set(d: Dest, num: number, den: number): void {
    this.place(d, num, den);
  }

  /** Insert d (or move it) below every eligible entry: a member that may not be picked. */
  park(d: Dest): void {
    this.place(d, 1, 0); // 1 / 0 = +Infinity
  }

  remove(d: Dest): void {
    if (!this.has(d)) return;
    const id = d.schedIdx;
    const i = this.pos[id]!;
    const last = this.size - 1;
    d.schedIdx = -1;
    this.byId[id] = null;
    this.freeIds.push(id);
    this.size = last;
    if (i === last) return;
    this.key[i] = this.key[last]!;
    this.seq[i] = this.seq[last]!;
    const mid = this.ids[last]!;
    this.ids[i] = mid;
    this.pos[mid] = i;
    this.fix(i);
  }

  /**
   * Forget every member. dest.schedIdx is left alone: has() checks byId[id] === d, so a stale
   * id is harmless, and the next scheduler's init may already have written its own.
   */
  clear(): void {
    this.byId.length = 0;
    this.freeIds.length = 0;
    this.size = 0;
  }

  /**
   * den === 0 (with num 1) parks d: 1 / 0 is +Infinity. One division for both cases keeps k an
   * unboxed float64; a `den === 0 ? Infinity : num / den` phi made TurboFan box it per call.
   */
  private place(d: Dest, num: number, den: number): void {
    const k = num / den;
    const s = d.seq;
    let id = d.schedIdx;
    let i: number;
    if (id >= 0 && id < this.byId.length && this.byId[id] === d) {
      i = this.pos[id]!;
      if (this.key[i] === k && this.seq[i] === s) return; // nothing moved
    } else {
      if (this.size === this.key.length) this.grow();
      id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.byId.length;
      if (id === this.byId.length) this.byId.push(d);
      else this.byId[id] = d;
      d.schedIdx = id;
      this.tag[id] = 0;
      i = this.size++;
      this.ids[i] = id;
      this.pos[id] = i;
    }
    this.key[i] = k;
    this.seq[i] = s;
    this.fix(i);
  }

  /** Restore heap order around position i, whose entry (key, seq, id) was just written. */
  private fix(i: number): void {
    if (i > 0) {
      const p = (i - 1) >> 2;
      const k = this.key[i]!;
      const kp = this.key[p]!;
      if (k < kp || (k === kp && this.seq[i]! > this.seq[p]!)) {
        this.siftUp(i);
        return;
      }
    }
    this.siftDown(i);
  }

  /** Move the entry at i up: a hole travels up while parents shift down. */
  private siftUp(i: number): void {
    const key = this.key;
    const seq = this.seq;
    const ids = this.ids;
    const pos = this.pos;
    const k = key[i]!;
    const s = seq[i]!;
    const id = ids[i]!;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const kp = key[p]!;
      if (!(k < kp || (k === kp && s > seq[p]!))) break;
      key[i] = kp;
      seq[i] = seq[p]!;
      const pid = ids[p]!;
      ids[i] = pid;
      pos[pid] = i;
      i = p;
    }
    key[i] = k;
    seq[i] = s;
    ids[i] = id;
    pos[id] = i;
  }

  /** Move the entry at i down: a hole travels down while the best child shifts up. */
  private siftDown(i: number): void {
    const key = this.key;
    const seq = this.seq;
    const ids = this.ids;
    const pos = this.pos;
    const n = this.size;
    const k = key[i]!;
    const s = seq[i]!;
    const id = ids[i]!;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let kc = key[c]!;
      let sc = seq[c]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let j = first + 1; j < end; j++) {
        const kj = key[j]!;
        if (kj < kc || (kj === kc && seq[j]! > sc)) {
          c = j;
          kc = kj;
          sc = seq[j]!;
        }
      }
      if (!(kc < k || (kc === k && sc > s))) break;
      key[i] = kc;
      seq[i] = sc;
      const cid = ids[c]!;
      ids[i] = cid;
      pos[cid] = i;
      i = c;
    }
    key[i] = k;
    seq[i] = s;
    ids[i] = id;
    pos[id] = i;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const key = new Float64Array(n);
    key.set(this.key);
    this.key = key;
    const seq = new Float64Array(n);
    seq.set(this.seq);
    this.seq = seq;
    const ids = new Int32Array(n);
    ids.set(this.ids);
    this.ids = ids;
    const pos = new Int32Array(n);
    pos.set(this.pos);
    this.pos = pos;
    const tag = new Uint8Array(n);
    tag.set(this.tag);
    this.tag = tag;
  }
}
