// The indexed schedulers (heap, scan tree, counters) pick exactly what the kernel's O(n) loops
// pick, over thousands of random adds, deletes, weight edits, counter changes and overload flips.

import t from 'tap';
import { RefFo, RefLblc, RefLc, RefNq, RefOvf, RefRr, RefTwos, RefWlc, RefWrr, sedOverhead } from './reference.ts';
import { fuzz, type FuzzOptions } from './fuzz.ts';
import type { Scheduler } from '../../src/model/scheduler.ts';
import { TwosScheduler } from '../../src/sched/twos.ts';
import { ip } from './harness.ts';

const small = [0, 1, 1, 2, 3, 5];
const even = [0, 2, 4, 4, 6, 12]; // gcd > 1 most of the time
const wide = [0, 1, 7, 100, 65535];

interface Case {
  name: string;
  ref: () => Scheduler;
  extra?: Partial<FuzzOptions>;
}

const cases: Case[] = [
  { name: 'lc', ref: () => new RefLc() },
  { name: 'wlc', ref: () => new RefWlc() },
  { name: 'sed', ref: () => new RefWlc('ref-sed', sedOverhead) },
  { name: 'nq', ref: () => new RefNq() },
  { name: 'fo', ref: () => new RefFo() },
  { name: 'ovf', ref: () => new RefOvf() },
  { name: 'rr', ref: () => new RefRr() },
  { name: 'wrr', ref: () => new RefWrr() },
  {
    name: 'lblc',
    ref: () => new RefLblc(),
    extra: { daddrs: [ip('10.1.0.1'), ip('10.1.0.2'), ip('10.1.0.3'), ip('10.9.9.9')] },
  },
];

for (const c of cases) {
  t.test(`${c.name} picks exactly what the kernel loop picks under random operations`, async (t) => {
    let seed = 1000;
    for (const weights of [small, even, wide]) {
      for (const maxDests of [3, 40, 300]) {
        const r = fuzz(c.name, c.ref, {
          seed: seed++,
          ops: maxDests > 100 ? 6000 : 3000,
          maxDests,
          weights,
          ...c.extra,
        });
        t.equal(r.mismatch, null, `weights ${weights.join('/')} up to ${maxDests} servers`);
        // The run must have exercised real picks, not only empty services.
        t.ok(r.picks > 500 && r.distinct > 1, `made ${r.picks} picks over ${r.distinct} servers`);
      }
    }
    // Overload storms on tiny services: failed picks, then flips without a config change
    // (wrr's `stop = last` and the cursor it leaves behind only show up here).
    for (const weights of [small, even]) {
      const r = fuzz(c.name, c.ref, { seed: seed++, ops: 6000, maxDests: 4, weights, overloadPct: 30, ...c.extra });
      t.equal(r.mismatch, null, `overload storm, weights ${weights.join('/')}`);
      t.ok(r.nullPicks > 50 && r.picks - r.nullPicks > 500, `${r.nullPicks} of ${r.picks} picks found no server`);
    }
  });
}

t.test('twos picks exactly what the kernel loop picks with the same random numbers', async (t) => {
  let seed = 77;
  for (const weights of [small, wide]) {
    for (const maxDests of [3, 40, 300]) {
      const s = seed++;
      const r = fuzz('twos', () => new RefTwos(s * 7919), {
        seed: s,
        ops: 4000,
        maxDests,
        weights,
        make: () => new TwosScheduler(s * 7919),
      });
      t.equal(r.mismatch, null, `weights ${weights.join('/')} up to ${maxDests} servers`);
      t.ok(r.picks > 500 && r.distinct > 1, `made ${r.picks} picks over ${r.distinct} servers`);
    }
  }
});
