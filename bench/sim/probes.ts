// Disruption probes: for the hashing schedulers whose schedule() is a pure lookup (sh, mh, dh:
// no cursor, no counters, no table updates), ask the REAL scheduler where each probe client
// (or destination, for dh) would go, before and after a table change, and count who moved.
// Stateful schedulers (rr, wrr, lc, lblc, twos, ...) are never probed: a probe pick would change
// what they do next. No kernel counterpart.

import { SchedInput } from '../../src/model/scheduler.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import type { Director } from './director.ts';
import type { Disruption } from './recorder.ts';
import type { Scenario } from './scenario.ts';
import { destAddr, type Workload } from './workload.ts';

export const PROBED_SCHEDULERS: ReadonlySet<string> = new Set(['sh', 'mh', 'dh']);
/** At most this many probe clients (the most active ones: Zipf ranks come first). */
export const MAX_PROBES = 20000;
/** Source port of every probe (with -b sh-port / mh-port the mapping is per port). */
export const PROBE_CPORT = 40000;

export class Prober {
  /** Client addresses (sh, mh) or destination addresses (dh). */
  readonly addrs: Uint32Array;
  /** Share of the traffic each probe stands for (sums to 1). */
  readonly weights: Float64Array;
  private readonly byDest: boolean;
  private readonly vaddr: number;
  private readonly inp = new SchedInput();

  constructor(addrs: readonly number[], probs: readonly number[], byDest: boolean, vaddr: number) {
    const k = Math.min(addrs.length, MAX_PROBES);
    this.addrs = Uint32Array.from(addrs.slice(0, k));
    const w = probs.slice(0, k);
    const sum = w.reduce((a, b) => a + b, 0);
    this.weights = Float64Array.from(w.map((x) => (sum > 0 ? x / sum : 1 / k)));
    this.byDest = byDest;
    this.vaddr = vaddr;
    this.inp.protocol = IPPROTO_TCP;
    this.inp.cport = PROBE_CPORT;
  }

  /** Server index per probe (-1: no pick) under the director's current table. */
  map(dir: Director, nowMs: number): Int32Array {
    const out = new Int32Array(this.addrs.length);
    const inp = this.inp;
    inp.vport = dir.inp.vport;
    inp.nowMs = nowMs;
    for (let i = 0; i < this.addrs.length; i++) {
      const a = this.addrs[i]!;
      inp.caddr = this.byDest ? 0x0a000001 : a;
      inp.vaddr = this.byDest ? a : this.vaddr;
      inp.daddr = inp.vaddr;
      const d = dir.svc.sched.schedule(dir.svc, inp);
      out[i] = d === null ? -1 : dir.serverOfDest(d);
    }
    return out;
  }

  /**
   * Who moved between two mappings. mustMove: probes whose old server is gone or picks nothing
   * now, plus, when a server was added, its fair share (weight / total weight).
   */
  compare(before: Int32Array, after: Int32Array, addedShare: number, gone: (s: number) => boolean): Disruption {
    let moved = 0;
    let movedW = 0;
    let must = 0;
    for (let i = 0; i < before.length; i++) {
      const b = before[i]!;
      if (b !== after[i]) {
        moved++;
        movedW += this.weights[i]!;
      }
      if (b >= 0 && gone(b)) must++;
    }
    const n = Math.max(before.length, 1);
    return { clients: moved / n, traffic: movedW, mustMove: Math.min(1, must / n + addedShare) };
  }
}

/**
 * The prober for this scheduler, or null when it cannot be probed. sh and mh map clients; dh
 * (and any service with destinations) maps destination addresses.
 */
export function makeProber(sc: Scenario, schedName: string, wl: Workload): Prober | null {
  if (!PROBED_SCHEDULERS.has(schedName)) return null;
  if (sc.destinations === null && schedName !== 'dh') {
    return new Prober(
      wl.clientAddrs,
      wl.clientAddrs.map((_, i) => wl.clientProb(i)),
      false,
      sc.service.vip,
    );
  }
  const z = wl.destZipf;
  if (sc.destinations === null || z === null) return new Prober([sc.service.vip], [1], true, sc.service.vip);
  const k = Math.min(sc.destinations.count, MAX_PROBES);
  const addrs: number[] = [];
  const probs: number[] = [];
  for (let i = 0; i < k; i++) {
    addrs.push(destAddr(i));
    probs.push(z.prob(i));
  }
  return new Prober(addrs, probs, true, sc.service.vip);
}
