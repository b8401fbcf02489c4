// Runs are reproducible under a seed, and every scheduler is fed the very same requests.
import t from 'tap';
import { simulate } from '../../bench/sim/simulate.ts';
import { summarize } from '../../bench/sim/summary.ts';
import { mini } from './helpers.ts';

const sc = mini({
  durationSec: 30,
  servers: [{ name: 'web1' }, { name: 'web2', weight: 2, capacity: 2 }, { name: 'web3' }],
  arrivals: { kind: 'onoff', onRatePerSec: 300, offRatePerSec: 50, meanOnSec: 1, meanOffSec: 2 },
  demand: { kind: 'pareto', meanMs: 10, alpha: 1.5 },
  clients: { count: 500, zipf: 1 },
});

function fingerprint(sched: string, seed: number) {
  const r = summarize(simulate({ ...sc, seed }, sched, { pickLog: 200 }));
  return { latency: r.latency, conns: r.servers.map((s) => s.conns), picks: r.pickLog, p95: r.binP95 };
}

t.test(
  'the same seed gives the same run, also for twos, whose random picks are seeded through setTwosSeed',
  async (t) => {
    for (const sched of ['rr', 'lc', 'twos', 'sh']) t.same(fingerprint(sched, 7), fingerprint(sched, 7), sched);
  },
);

t.test('another seed gives another run', async (t) => {
  t.not(fingerprint('twos', 7).latency.p99, fingerprint('twos', 8).latency.p99);
  t.notSame(fingerprint('twos', 7).picks, fingerprint('twos', 8).picks);
});

t.test('every scheduler sees the same requests: same count, same total work', async (t) => {
  const runs = ['rr', 'wlc', 'twos', 'mh'].map((s) => simulate({ ...sc, seed: 3 }, s).rec);
  const work = runs.map((r) => Math.round([...r.workAssigned].reduce((a, b) => a + b, 0) * 1000));
  t.same(
    runs.map((r) => r.arrivals),
    runs.map(() => runs[0]!.arrivals),
  );
  t.same(
    work,
    work.map(() => work[0]),
  );
});
