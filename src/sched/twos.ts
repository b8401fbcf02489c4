// twos: power of two choices scheduling, mirroring net/netfilter/ipvs/ip_vs_twos.c.
//
// Kernel (ip_vs_twos_schedule): total_weight = sum of weights of servers that are not OVERLOAD
// with weight > 0 (none: no pick); total_weight += 1; rweight1 = prandom_u32() % total_weight,
// then rweight2 likewise. Walking the eligible servers in scan order, each subtracts its weight
// from both; choice1 / choice2 are the first servers where rweight1 / rweight2 drop to <= 0.
// Return choice2 when weight2 * overhead1 > weight1 * overhead2 (C int arithmetic, which wraps:
// Math.imul), else choice1; overhead = (activeconns << 8) + inactconns.
//
// "First eligible server whose running weight sum reaches r" is ScanTree.findBySum (r = 0 behaves
// as r = 1: the first eligible server), so a pick is O(log n), O(1) expected while weights and
// OVERLOAD stay unchanged (see sum-index.ts). The kernel's randomness
// (prandom_u32 / get_random_u32) is a seeded Mulberry32 here (lib/rng.ts), so runs can be replayed:
// setTwosSeed() for the instances created next, or the constructor's seed.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';
import { ScanTree } from './scan-tree.ts';
import { u32mod } from './u32mod.ts';
import { Mulberry32 } from '../lib/rng.ts';

let nextSeed = (Math.random() * 0x100000000) >>> 0;

/** Seed for the twos instances created from now on (tests, replays). */
export function setTwosSeed(seed: number): void {
  nextSeed = seed >>> 0;
}

function twosValue(d: Dest): number {
  return (d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0 ? d.weight : 0;
}

/** ip_vs_dest_conn_overhead() as a C int. */
function intOverhead(d: Dest): number {
  return ((d.activeConns << 8) + d.inactConns) | 0;
}

export class TwosScheduler implements Scheduler {
  readonly name = 'twos';
  readonly tree: ScanTree;
  readonly rng: Mulberry32;

  constructor(seed: number = nextSeed) {
    this.tree = new ScanTree({ sum: true });
    this.rng = new Mulberry32(seed);
  }

  init(svc: Service): void {
    const t = this.tree;
    t.clear();
    for (let i = svc.dests.length - 1; i >= 0; i--) {
      const d = svc.dests[i]!;
      t.addHead(d, twosValue(d));
    }
  }

  done(_svc: Service): void {
    this.tree.clear();
  }

  addDest(_svc: Service, dest: Dest): void {
    this.tree.addHead(dest, twosValue(dest));
  }

  delDest(_svc: Service, dest: Dest, _oldIndex: number): void {
    this.tree.remove(dest);
  }

  updDest(_svc: Service, dest: Dest): void {
    if (this.tree.has(dest)) this.tree.set(dest, twosValue(dest));
  }

  loadChanged(_svc: Service, dest: Dest): void {
    if (this.tree.has(dest)) this.tree.set(dest, twosValue(dest));
  }

  schedule(_svc: Service, _input: SchedInput): Dest | null {
    const t = this.tree;
    const total = t.sumAll();
    if (total === 0) return null; // "no destination available"
    const range = total + 1; // "so that the random weights are inclusive from 0 to total_weight"
    const r1 = u32mod(this.rng.nextU32(), range);
    const r2 = u32mod(this.rng.nextU32(), range);
    const c1 = t.dest(t.findBySum(r1 > 0 ? r1 : 1))!;
    const c2 = t.dest(t.findBySum(r2 > 0 ? r2 : 1))!;
    if (Math.imul(c2.weight, intOverhead(c1)) > Math.imul(c1.weight, intOverhead(c2))) return c2;
    return c1;
  }
}

export const twos: SchedulerFactory = {
  name: 'twos',
  create: () => new TwosScheduler(),
};
