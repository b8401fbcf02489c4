// The simulator against queueing theory, through the real rr scheduler and connection code:
// Poisson arrivals, one or two servers, long seeded runs (50,000 requests per server).
// Tolerances are about 4 standard errors, measured over 12 seeds of the same run length:
// M/M/1-PS 1.2 %, E2/M/1 0.7 %, M/D/1 0.4-0.6 %.
import t, { type Test } from 'tap';
import { simulate } from '../../bench/sim/simulate.ts';
import { summarize } from '../../bench/sim/summary.ts';
import { meanOf, mini } from './helpers.ts';

/** mu = 100/s (10 ms mean demand at capacity 1), lambda = 50/s per server: rho = 0.5. */
function run(servers: number, model: string, demand: Record<string, unknown>) {
  const sc = mini({
    durationSec: 1000,
    warmupSec: 20,
    seed: 3,
    servers: Array.from({ length: servers }, (_, i) => ({ name: `web${i + 1}`, capacity: 1 })),
    serverModel: { kind: model },
    arrivals: { kind: 'poisson', ratePerSec: 50 * servers },
    demand,
  });
  return simulate(sc, 'rr');
}

function near(t: Test, got: number, want: number, tol: number, what: string): void {
  t.ok(
    Math.abs(got / want - 1) <= tol,
    `${what}: ${got.toFixed(3)} ms, theory ${want.toFixed(3)} ms (tolerance ${tol * 100}%)`,
  );
}

t.test(
  'one server under rr with Poisson arrivals and exponential demand matches M/M/1: mean response 1/(mu - lambda)',
  async (t) => {
    const r = run(1, 'ps', { kind: 'exp', meanMs: 10 }).rec;
    t.ok(r.respCount > 45000, `${r.respCount} responses`);
    near(t, meanOf(r.resp, r.respCount), 1000 / (100 - 50), 0.05, 'processor sharing');
  },
);

t.test(
  'a FIFO M/M/1 server has exponential response times: p50 = ln 2 / (mu - lambda), p95 = ln 20 / (mu - lambda)',
  async (t) => {
    const s = summarize(run(1, 'fifo', { kind: 'exp', meanMs: 10 }));
    near(t, s.latency.mean, 20, 0.05, 'mean');
    near(t, s.latency.p50, 20 * Math.LN2, 0.05, 'p50');
    near(t, s.latency.p95, 20 * Math.log(20), 0.06, 'p95');
  },
);

t.test('rr alternates two servers, so each sees Erlang-2 gaps: E2/M/1, not the M/M/1 of a random split', async (t) => {
  // GI/M/1: W = 1 / (mu (1 - sigma)), sigma = A*(mu (1 - sigma)); Erlang-2 gaps at total rate
  // 100/s: sigma = (100 / (100 + 100 (1 - sigma)))^2, root (3 - sqrt 5) / 2.
  const sigma = (3 - Math.sqrt(5)) / 2;
  const want = 1000 / (100 * (1 - sigma));
  const r = run(2, 'fifo', { kind: 'exp', meanMs: 10 }).rec;
  const mean = meanOf(r.resp, r.respCount);
  near(t, mean, want, 0.03, 'E2/M/1');
  t.ok(mean < 20 * 0.9, `clearly below M/M/1's 20 ms (${mean.toFixed(2)} ms)`);
  t.same(
    [...r.picks].map((p) => Math.abs(p - r.arrivals / 2) <= 1),
    [true, true],
    'and the split is exactly 1:1',
  );
});

t.test(
  'fixed demand: M/D/1 under processor sharing is D/(1 - rho), under FIFO D + rho D / (2 (1 - rho))',
  async (t) => {
    const p = run(1, 'ps', { kind: 'fixed', ms: 10 }).rec;
    near(t, meanOf(p.resp, p.respCount), 20, 0.025, 'M/D/1-PS (insensitive to the demand distribution)');
    const f = run(1, 'fifo', { kind: 'fixed', ms: 10 }).rec;
    near(t, meanOf(f.resp, f.respCount), 15, 0.025, 'M/D/1 FIFO (Pollaczek-Khinchine)');
  },
);
