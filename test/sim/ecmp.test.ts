// The ECMP scenarios of bench:sched (bench/sim/ecmp.ts, ecmp-route.ts): which flows move when a
// next hop leaves or joins under hash-threshold and resilient routing, and which of the moved
// flows the real adoption code (ConnSetup) keeps on their real server.
import t from 'tap';
import { HashThresholdRoute, ResilientRoute, flowHash } from '../../bench/sim/ecmp-route.ts';
import { ecmpBroken } from '../../bench/sim/ecmp.ts';

const hashes = Array.from({ length: 6000 }, (_, i) => flowHash(0x0a000001 + (i % 97), 1024 + i, 0xc0a85805, 80));

t.test(
  'hash-threshold: the middle next hop leaving moves only its flows; the last leaving moves others too',
  async (t) => {
    const r = new HashThresholdRoute([0, 1, 2]);
    const before = hashes.map((h) => r.pick(h));
    r.update([0, 2]);
    const after = hashes.map((h) => r.pick(h));
    t.equal(before.filter((d, i) => d !== 1 && after[i] !== d).length, 0, 'no flow of lvs1 or lvs3 moved');
    const r2 = new HashThresholdRoute([0, 1, 2]);
    r2.update([0, 1]);
    const moved = before.filter((d, i) => d !== 2 && r2.pick(hashes[i]!) !== d).length;
    t.ok(moved > 0.1 * hashes.length, `${moved} flows of the survivors moved when the last next hop left`);
  },
);

t.test('resilient: only the buckets of the dead next hop move, and a new one takes no busy bucket', async (t) => {
  const r = new ResilientRoute([0, 1, 2]);
  const before = hashes.map((h) => r.pick(h));
  r.update([0, 2]);
  t.equal(before.filter((d, i) => d !== 1 && r.pick(hashes[i]!) !== d).length, 0);
  t.equal(hashes.filter((h) => r.pick(h) === 1).length, 0, 'nothing goes to the dead next hop');
  const r2 = new ResilientRoute([0, 1, 2]);
  r2.update([0, 1, 2, 3]);
  t.same(
    hashes.map((h) => r2.pick(h)),
    before,
  );
});

t.test('adoption keeps every moved DR flow on mh and sh, none on rr; full NAT loses them all', async (t) => {
  const c = { routing: 'hash-threshold', adopt: 'consistent', mode: 'dr' } as const;
  const n = 3;
  for (const sched of ['mh', 'sh'])
    t.equal(ecmpBroken('ecmp-director-fails', { ...c, sched }, n, 4, 3000, 1), 0, sched);
  const off = ecmpBroken('ecmp-director-fails', { ...c, sched: 'mh', adopt: 'off' }, n, 4, 3000, 1);
  t.ok(off > 0.25 && off < 0.42, `no adoption: ${off} of the flows broken (the dead director's third)`);
  t.equal(ecmpBroken('ecmp-director-fails', { ...c, sched: 'rr' }, n, 4, 3000, 1), off, 'rr is not adopted');
  t.equal(ecmpBroken('ecmp-director-fails', { ...c, sched: 'mh', mode: 'fullnat' }, n, 4, 3000, 1), off);
});
