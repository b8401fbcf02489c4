// The service's list in scan order, as slots, for the schedulers that walk it from a cursor
// (ip_vs_rr.c, ip_vs_wrr.c: with a MaxTree) or by running weight sums (ip_vs_twos.c: with a
// SumIndex), so that a pick is O(log n) instead of the kernel's O(n) walk.
//
// Slots are handed out in increasing order as servers are added; a new server goes to the list
// HEAD (list_add_rcu in __ip_vs_update_dest), so scan order is DESCENDING slot:
//
//   slot:        0    1    2    3    4   (5 free)    HEAD = past the top slot
//   scan order:  5th  4th  3rd  2nd  1st             "after HEAD" = from slot 4 down
//
// A deleted server leaves a hole (value 0); holes are squeezed out when the slots run out.
// dest.schedIdx holds the slot. Values are the owner's (e.g. weight when eligible, else 0),
// integers in 0..65535.

import type { Dest } from '../model/dest.ts';
import { MaxTree } from './max-tree.ts';
import { SumIndex } from './sum-index.ts';

/** A position before the first server: scanning "after HEAD" visits the whole list. */
export const HEAD = 0x7fffffff;

export class ScanTree {
  /** Slot count (power of two, >= 16). */
  cap: number;
  /** Value per slot. */
  val: Int32Array;
  /** Server per slot, null for holes and unused slots. */
  slots: (Dest | null)[];
  max: MaxTree | null;
  sum: SumIndex | null;
  /** Next slot to hand out. */
  next: number;
  live: number;
  /**
   * The owner's cursor (a slot or HEAD), kept meaning "continue after this point" when holes
   * are squeezed out: a cursor on a hole moves to the live server just before it in scan order.
   */
  cursor: number;
  private readonly withMax: boolean;
  private readonly withSum: boolean;

  constructor(opts: { max?: boolean; sum?: boolean }) {
    this.withMax = opts.max === true;
    this.withSum = opts.sum === true;
    this.cap = 0;
    this.val = new Int32Array(0);
    this.slots = [];
    this.max = null;
    this.sum = null;
    this.next = 0;
    this.live = 0;
    this.cursor = HEAD;
    this.alloc(16);
  }

  has(d: Dest): boolean {
    const s = d.schedIdx;
    return s >= 0 && s < this.next && this.slots[s] === d;
  }

  /**
   * Forget every server; the cursor goes to HEAD. dest.schedIdx is left alone: has() checks
   * slots[s] === d, so a stale slot is harmless, and the next scheduler may already own it.
   */
  clear(): void {
    this.alloc(16);
    this.next = 0;
    this.live = 0;
    this.cursor = HEAD;
  }

  /** Add d at the head of the scan order. */
  addHead(d: Dest, value: number): void {
    if (this.next === this.cap) this.rebuild();
    const s = this.next++;
    this.slots[s] = d;
    d.schedIdx = s;
    this.live++;
    this.setSlot(s, value);
  }

  remove(d: Dest): void {
    if (!this.has(d)) return;
    const s = d.schedIdx;
    this.setSlot(s, 0);
    this.slots[s] = null;
    d.schedIdx = -1;
    this.live--;
  }

  /** Set the value of a member (a no-op when it did not change, e.g. counters only). */
  set(d: Dest, value: number): void {
    const s = d.schedIdx;
    if (this.val[s] === value) return;
    this.setSlot(s, value);
  }

  dest(slot: number): Dest | null {
    return this.slots[slot] ?? null;
  }

  /** Largest value (needs max). */
  maxAll(): number {
    return this.max!.maxAll();
  }

  /** Sum of the values (needs sum). */
  sumAll(): number {
    return this.sum!.total();
  }

  /** The first slot after pos in scan order whose value is >= min (min >= 1), or -1 (needs max). */
  findAfter(pos: number, min: number): number {
    return this.max!.findAfter(pos, min);
  }

  /** The first slot in scan order whose running sum reaches r, 1 <= r <= sumAll() (needs sum). */
  findBySum(r: number): number {
    return this.sum!.find(r, this.val, this.next, this.live);
  }

  private setSlot(s: number, value: number): void {
    const old = this.val[s]!;
    this.val[s] = value;
    if (this.withMax) this.max!.update(s, value);
    if (this.withSum) this.sum!.update(s, value - old);
  }

  /** Fresh, zeroed arrays for cap slots. */
  private alloc(cap: number): void {
    this.cap = cap;
    this.val = new Int32Array(cap);
    this.slots = new Array<Dest | null>(cap).fill(null);
    this.max = this.withMax ? new MaxTree(cap) : null;
    this.sum = this.withSum ? new SumIndex(cap) : null;
  }

  /** Squeeze out holes (and grow when needed), keeping order, values and the cursor's meaning. */
  private rebuild(): void {
    const oldSlots = this.slots;
    const oldVal = this.val;
    const oldNext = this.next;
    let cap = 16;
    while (cap < this.live * 2) cap *= 2;
    this.alloc(cap);
    let cursor = this.cursor;
    let remapped = cursor === HEAD;
    let k = 0;
    for (let s = 0; s < oldNext; s++) {
      const d = oldSlots[s];
      if (d == null) continue;
      if (!remapped && s >= cursor) {
        cursor = k;
        remapped = true;
      }
      this.slots[k] = d;
      d.schedIdx = k;
      this.setSlot(k, oldVal[s]!);
      k++;
    }
    this.next = k;
    this.cursor = remapped ? cursor : HEAD;
  }
}
