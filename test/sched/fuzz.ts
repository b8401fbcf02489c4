// Randomized differential driver: runs a real scheduler and a literal kernel-loop reference side
// by side through thousands of random ipvsadm-like operations and compares every pick.

import type { Scheduler } from '../../src/model/scheduler.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';
import { Lab, makeScheduler } from './harness.ts';

export interface FuzzOptions {
  seed: number;
  ops: number;
  /** Upper bound on the number of real servers. */
  maxDests: number;
  /** Weights are drawn from this list (repeat values to bias). */
  weights: readonly number[];
  /** Destination addresses to cycle through (lblc); default: the VIP only. */
  daddrs?: readonly number[];
  /** Real scheduler; default: the registry's. */
  make?: () => Scheduler;
  /** Percentage of operations that flip OVERLOAD (default 4). */
  overloadPct?: number;
}

export interface FuzzResult {
  picks: number;
  nullPicks: number;
  distinct: number;
  mismatch: string | null;
}

export function fuzz(name: string, makeRef: () => Scheduler, o: FuzzOptions): FuzzResult {
  const rng = new Mulberry32(o.seed);
  const rand = (n: number): number => rng.nextU32() % n;
  const make = o.make ?? (() => makeScheduler(name));
  const lab = new Lab(name, 0, make());
  let ref = makeRef();
  ref.init(lab.svc);
  lab.shadows.push(ref);
  const live: string[] = [];
  const seen = new Set<string>();
  let serial = 0;
  let picks = 0;
  let nullPicks = 0;
  const weight = (): number => o.weights[rand(o.weights.length)]!;
  const olPct = o.overloadPct ?? 4;
  for (let op = 0; op < o.ops; op++) {
    // OVERLOAD flips (slot 40..43) take olPct of the operations; the rest keep their shares.
    let r = 40;
    if (rand(100) >= olPct) {
      r = rand(96);
      if (r >= 40) r += 4;
    }
    if ((r < 12 && live.length < o.maxDests) || live.length === 0) {
      const n = `d${++serial}`;
      lab.add(n, weight());
      live.push(n);
    } else if (r < 18) {
      const i = rand(live.length);
      lab.del(live[i]!);
      live.splice(i, 1);
    } else if (r < 24) {
      lab.edit(live[rand(live.length)]!, weight());
    } else if (r < 40) {
      const n = live[rand(live.length)]!;
      lab.load(n, rand(4) === 0 ? 0 : rand(40), rand(300));
    } else if (r < 44) {
      const n = live[rand(live.length)]!;
      lab.overload(n, rand(3) !== 0 ? !((lab.dest(n).flags & 2) !== 0) : false);
    } else if (r < 45 && rand(2) === 0) {
      // A burst of picks with no change in between: lets lazily built indexes kick in.
      for (let k = 0; k < 3 * o.maxDests + 20; k++) {
        if (o.daddrs !== undefined) lab.input.daddr = o.daddrs[rand(o.daddrs.length)]!;
        const a = lab.pick();
        const b = ref.schedule(lab.svc, lab.input);
        picks++;
        if (a === null) nullPicks++;
        else seen.add(lab.nameOf(a));
        if (a !== b) {
          return {
            picks,
            nullPicks,
            distinct: seen.size,
            mismatch: `op ${op} burst pick ${k}: ${lab.nameOf(a)} vs kernel ${lab.nameOf(b)}`,
          };
        }
      }
    } else if (r < 45) {
      // ipvsadm -E -s <same kind>: a fresh instance initialised with the servers present.
      lab.switchTo(name, make());
      ref = makeRef();
      ref.init(lab.svc);
      lab.shadows[0] = ref;
    } else {
      if (o.daddrs !== undefined) lab.input.daddr = o.daddrs[rand(o.daddrs.length)]!;
      const a = lab.pick();
      const b = ref.schedule(lab.svc, lab.input);
      picks++;
      if (a === null) nullPicks++;
      else seen.add(lab.nameOf(a));
      if (a !== b) {
        return {
          picks,
          nullPicks,
          distinct: seen.size,
          mismatch: `op ${op}: ${name} picked ${lab.nameOf(a)}, kernel loop picked ${lab.nameOf(b)}; scan order ${lab
            .scanOrder()
            .map(
              (n) =>
                `${n}(w${lab.dest(n).weight},a${lab.dest(n).activeConns},i${lab.dest(n).inactConns}${(lab.dest(n).flags & 2) !== 0 ? ',OL' : ''})`,
            )
            .join(' ')}`,
        };
      }
      // Accounting after the pick, as the connection code would do.
      if (a !== null && rand(2) === 0) lab.load(lab.nameOf(a), a.activeConns + rand(2), a.inactConns + 1);
    }
  }
  return { picks, nullPicks, distinct: seen.size, mismatch: null };
}
