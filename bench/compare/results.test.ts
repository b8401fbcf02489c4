// Tests of bench/compare's arithmetic (no root, no lab): medians, ratios vs nft (of medians, per
// round, clean rounds only), the target verdicts, and pooling several runs.
// Run: npx tap bench/compare/results.test.ts

import t from 'tap';
import {
  cleanRatio,
  emptyResult,
  median,
  pairedRatios,
  poolRuns,
  ratio,
  targetChecks,
  type PeerResult,
  type Sample,
} from './results.ts';

t.test('median takes the middle value, or the mean of the two middle values', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.ok(Number.isNaN(median([])));
});

function sample(value: number, round: number, otherPct = 0): Sample {
  return {
    value,
    p99Ms: null,
    busyPct: 0,
    softirqPct: 0,
    lbPct: 0,
    lbUserPct: 0,
    otherPct,
    webPct: 0,
    clientPct: 0,
    idleBeforePct: 0,
    round,
    health: {},
  };
}

function peer(name: string, ka: number[], close: number[], iperf: number[]): PeerResult {
  const r = emptyResult(name);
  ka.forEach((v, i) => r.samples.ka.push(sample(v, i + 1)));
  close.forEach((v, i) => r.samples.close.push(sample(v, i + 1)));
  iperf.forEach((v, i) => r.samples.iperf.push(sample(v, i + 1)));
  return r;
}

t.test('ratio divides medians, and pairedRatios divides the runs of the same round', async (t) => {
  const nft = peer('nft', [60000, 50000, 62000], [], []);
  const tsvs = peer('tsvs', [30000, 40000, 31000], [], []);
  t.equal(ratio(tsvs, nft, 'ka'), 31000 / 60000);
  t.same(pairedRatios(tsvs, nft, 'ka'), [0.5, 0.8, 0.5]);
  t.ok(Number.isNaN(ratio(tsvs, nft, 'close')), 'no close samples: no ratio');
});

t.test('targetChecks applies the tsvs / nft floors and a strict "ahead of" the proxies', async (t) => {
  const byName = new Map([
    ['nft', peer('nft', [100], [100], [10])],
    ['haproxy', peer('haproxy', [80], [50], [6])],
    ['nginx-stream', peer('nginx-stream', [60], [60], [5])],
  ]);
  const tsvs = peer('tsvs', [80], [95], [5]);
  const v = targetChecks(tsvs, byName).map((c) => `${c.what}: ${c.verdict}`);
  t.same(v, [
    'new-connection (conn-close) req/s >= 0.9x nft: met',
    'keep-alive req/s >= 0.8x nft: met',
    'bulk iperf3 Gbit/s >= 0.6x nft: missed',
    'keep-alive req/s ahead of haproxy: missed',
    'conn-close req/s ahead of haproxy: met',
    'iperf3 Gbit/s ahead of haproxy: missed',
    'keep-alive req/s ahead of nginx-stream: met',
    'conn-close req/s ahead of nginx-stream: met',
    'iperf3 Gbit/s ahead of nginx-stream: missed',
  ]);
});

t.test('targetChecks says n/a when nft did not run', async (t) => {
  const c = targetChecks(peer('tsvs', [1], [1], [1]), new Map());
  t.equal(c[0]?.verdict, 'n/a');
});

t.test('clean-round ratios leave out rounds where another tenant used the box on either side', async (t) => {
  const nft = peer('nft', [60000, 30000, 50000], [], []);
  const tsvs = peer('tsvs', [45000, 40000, 40000], [], []);
  nft.samples.ka[1] = sample(30000, 2, 80); // round 2: nft ran next to someone else's benchmark
  t.same(pairedRatios(tsvs, nft, 'ka', 10), [0.75, 0.8]);
  t.equal(cleanRatio(10)(tsvs, nft, 'ka'), 0.775);
  t.equal(ratio(tsvs, nft, 'ka'), 40000 / 50000, 'the ratio of medians keeps every round');
});

t.test('poolRuns keeps the rounds of different runs apart and adds up the curl counts', async (t) => {
  const run = (v: number): PeerResult[] => {
    const a = peer('nft', [v], [], []);
    a.dist = { web1: 50, web2: 50, other: 0 };
    return [a, peer('tsvs', [v / 2], [], [])];
  };
  const pooled = poolRuns([
    { header: [], options: { idleMax: 10 }, results: run(100) },
    { header: [], options: { idleMax: 10 }, results: run(200) },
  ]);
  t.same(
    pooled.map((p) => p.name),
    ['nft', 'tsvs'],
  );
  t.same(
    pooled[0]?.samples.ka.map((s) => [s.round, s.value]),
    [
      [1, 100],
      [1001, 200],
    ],
  );
  t.same(pooled[0]?.dist, { web1: 100, web2: 100, other: 0 });
  t.same(pairedRatios(pooled[1]!, pooled[0]!, 'ka'), [0.5, 0.5]);
});
