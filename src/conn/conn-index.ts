// One hash index over conn ids (the role of ip_vs_conn_tab in ip_vs_conn.c): chained buckets in
// Int32Arrays, keyed by four int32 words, with the key of each entry kept in a 16-byte row.
//
//   head[jhash(w0, w1, w2, seed ^ w3) & mask] -> id -> next[id] -> id -> ... -> -1   newest first
//   key[4*id .. 4*id+3] = w0 w1 w2 w3                                               one row per id
//
// A candidate is checked against its own row (one cache line) rather than against several
// columns (one line each), so a hit costs about two cache misses: the bucket and the row.
// No strings, no allocation. Unlinking walks one chain (~1 entry at the default load <= 1).

import { jhash3 } from './conn-hash.ts';

export class ConnIndex {
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly key: Int32Array;
  private readonly mask: number;
  private readonly seed: number;

  constructor(capacity: number, bits: number, seed: number) {
    this.head = new Int32Array(1 << bits).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.key = new Int32Array(capacity * 4);
    this.mask = (1 << bits) - 1;
    this.seed = seed | 0;
  }

  /** Link id under key <w0, w1, w2, w3> at the head of its chain (hlist_add_head_rcu). */
  insert(id: number, w0: number, w1: number, w2: number, w3: number): void {
    const k = id << 2;
    const key = this.key;
    key[k] = w0;
    key[k + 1] = w1;
    key[k + 2] = w2;
    key[k + 3] = w3;
    const b = jhash3(w0 | 0, w1 | 0, w2 | 0, this.seed ^ w3) & this.mask;
    this.next[id] = this.head[b]!;
    this.head[b] = id;
  }

  /** Unlink id, found by the key it was inserted with. */
  remove(id: number): void {
    const k = id << 2;
    const key = this.key;
    const b = jhash3(key[k]!, key[k + 1]!, key[k + 2]!, this.seed ^ key[k + 3]!) & this.mask;
    let cur = this.head[b]!;
    if (cur === id) {
      this.head[b] = this.next[id]!;
    } else {
      while (cur >= 0) {
        const nx = this.next[cur]!;
        if (nx === id) {
          this.next[cur] = this.next[id]!;
          break;
        }
        cur = nx;
      }
    }
    this.next[id] = -1;
  }

  /** The newest id with key <w0, w1, w2, w3>, or -1. Words are compared as int32. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const a = w0 | 0;
    const c = w1 | 0;
    const p = w2 | 0;
    const key = this.key;
    let id = this.head[jhash3(a, c, p, this.seed ^ w3) & this.mask]!;
    while (id >= 0) {
      const k = id << 2;
      if (key[k + 2] === p && key[k] === a && key[k + 1] === c && key[k + 3] === w3) return id;
      id = this.next[id]!;
    }
    return -1;
  }

  /**
   * The next id after `id` in its chain with the same key as `id`, or -1: the rest of the matches
   * when a key holds 32-bit folds of longer addresses (conn-table6.ts checks the full ones).
   */
  nextSameKey(id: number): number {
    const key = this.key;
    const k0 = id << 2;
    const a = key[k0]!;
    const c = key[k0 + 1]!;
    const p = key[k0 + 2]!;
    const w3 = key[k0 + 3]!;
    let cur = this.next[id]!;
    while (cur >= 0) {
      const k = cur << 2;
      if (key[k + 2] === p && key[k] === a && key[k + 1] === c && key[k + 3] === w3) return cur;
      cur = this.next[cur]!;
    }
    return -1;
  }

  /** Number of buckets (a power of two). */
  get buckets(): number {
    return this.mask + 1;
  }

  /** First id in bucket b, or -1. */
  first(b: number): number {
    return this.head[b & this.mask]!;
  }

  /** The id after `id` in its chain, or -1. */
  after(id: number): number {
    return this.next[id]!;
  }

  /** Length of the longest chain (diagnostics, benches). */
  maxChain(): number {
    let max = 0;
    for (let b = 0; b <= this.mask; b++) {
      let n = 0;
      for (let id = this.head[b]!; id >= 0; id = this.next[id]!) n++;
      if (n > max) max = n;
    }
    return max;
  }
}
