// ecmp-route: how a router picks one of N directors for a flow, the two ways Linux does it.
// Hash-threshold (fib_select_multipath, net/ipv4/fib_semantics.c): the 31-bit flow hash falls in
// one of N equal regions, nexthop i taking hashes up to upper_bound_i =
// DIV_ROUND_CLOSEST((i + 1) << 31, total weight) - 1 (fib_rebalance); a next hop that leaves or
// joins moves region boundaries, so flows of surviving next hops move too. Resilient groups
// (nexthop_select_path_res, net/ipv4/nexthop.c): the hash picks one of B buckets, each bound to
// a next hop; a next hop that leaves gives only its own buckets to the others, and a busy
// bucket keeps its next hop when one joins (buckets migrate only after idle_timer, default
// 120 s, and the simulated flows are never idle).

export const ROUTE_HASH_THRESHOLD = 0;
export const ROUTE_RESILIENT = 1;

/** A flow's 31-bit multipath hash over addresses and ports (policy 1); a stand-in for the kernel's flow hash. */
export function flowHash(saddr: number, sport: number, daddr: number, dport: number): number {
  let h = Math.imul(saddr ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(daddr, 0xc2b2ae35);
  h ^= Math.imul((sport << 16) | dport, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h & 0x7fffffff;
}

/** A router's ECMP route to the VIP over the directors alive (their ids, in address order). */
export interface EcmpRoute {
  /** The director a flow with this hash goes to. */
  pick(hash: number): number;
  /** The directors change: alive is the new list (one removed or one added). */
  update(alive: readonly number[]): void;
}

export class HashThresholdRoute implements EcmpRoute {
  private hops: number[] = [];
  private bounds: number[] = [];

  constructor(alive: readonly number[]) {
    this.update(alive);
  }

  update(alive: readonly number[]): void {
    this.hops = [...alive];
    const n = this.hops.length;
    // fib_rebalance: DIV_ROUND_CLOSEST(w << 31, total) - 1 with every weight 1.
    this.bounds = this.hops.map((_, i) => Math.round(((i + 1) * 2 ** 31) / n) - 1);
  }

  pick(hash: number): number {
    for (let i = 0; i < this.hops.length; i++) if (hash <= this.bounds[i]!) return this.hops[i]!;
    return this.hops[this.hops.length - 1]!;
  }
}

export class ResilientRoute implements EcmpRoute {
  private readonly buckets: Int32Array;

  constructor(alive: readonly number[], nBuckets = 128) {
    this.buckets = new Int32Array(nBuckets);
    for (let b = 0; b < nBuckets; b++) this.buckets[b] = alive[b % alive.length]!;
  }

  /**
   * A removed next hop's buckets go, one at a time, to the next hop with the fewest buckets
   * (nh_res_table_upkeep fills underweight next hops); an added one takes no busy bucket.
   */
  update(alive: readonly number[]): void {
    const count = new Map<number, number>(alive.map((d) => [d, 0]));
    for (const d of this.buckets) if (count.has(d)) count.set(d, count.get(d)! + 1);
    for (let b = 0; b < this.buckets.length; b++) {
      if (count.has(this.buckets[b]!)) continue;
      let best = alive[0]!;
      for (const d of alive) if (count.get(d)! < count.get(best)!) best = d;
      this.buckets[b] = best;
      count.set(best, count.get(best)! + 1);
    }
  }

  pick(hash: number): number {
    return this.buckets[hash % this.buckets.length]!;
  }
}
