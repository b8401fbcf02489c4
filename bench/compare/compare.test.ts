// Tests of bench/compare's parsers and arithmetic (no root, no lab): wrk and iperf3 output,
// curl counts, medians, ratios vs nft and the target verdicts, and the command line.
// Run: npx tap bench/compare/compare.test.ts

import t from 'tap';
import { latencyMs, parseDist, parseIperf, parseWrk } from './load.ts';
import { parseOptions, UsageError } from './options.ts';
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
import { labRules } from './tsvs-peer.ts';

// Captured from a real run: wrk 4.1.0 through tsvs, Connection: close, 2 s.
const WRK_CLOSE = `Running 2s test @ http://192.168.88.5/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.66ms    2.63ms  28.43ms   89.88%
    Req/Sec     7.62k     1.24k   10.14k    60.00%
  Latency Distribution
     50%    2.98ms
     75%    4.05ms
     90%    5.88ms
     99%   15.28ms
  15270 requests in 2.02s, 2.58MB read
Requests/sec:   7562.46
Transfer/sec:      1.28MB
`;

t.test('parseWrk reads the rate, the p99 in ms and the request count of a real wrk run', async (t) => {
  t.same(parseWrk(WRK_CLOSE), { rps: 7562.46, p99Ms: 15.28, errors: 0, requests: 15270 });
});

t.test('parseWrk adds socket errors and non-2xx responses into errors', async (t) => {
  const out = WRK_CLOSE.replace(
    'Requests/sec',
    '  Socket errors: connect 1, read 12, write 0, timeout 3\n  Non-2xx or 3xx responses: 5\nRequests/sec',
  );
  t.equal(parseWrk(out)?.errors, 21);
});

t.test('parseWrk returns null when wrk printed no rate (it failed to connect)', async (t) => {
  t.equal(parseWrk('unable to connect to 192.168.88.5:80 Connection refused\n'), null);
});

t.test('latencyMs converts wrk units to milliseconds', async (t) => {
  t.equal(latencyMs('812.00us'), 0.812);
  t.equal(latencyMs('2.68ms'), 2.68);
  t.equal(latencyMs('1.02s'), 1020);
  t.equal(latencyMs('1.5m'), 90_000);
  t.equal(latencyMs('fast'), null);
});

t.test('parseIperf takes the received rate in Gbit/s and the sender retransmits', async (t) => {
  const j = JSON.stringify({ end: { sum_sent: { retransmits: 877 }, sum_received: { bits_per_second: 12.5e9 } } });
  t.same(parseIperf(j), { gbps: 12.5, retransmits: 877 });
});

t.test('parseIperf reports iperf3 errors and output that is not JSON', async (t) => {
  t.same(parseIperf(JSON.stringify({ error: 'unable to connect to server: Connection refused' })), {
    error: 'iperf3: unable to connect to server: Connection refused',
  });
  t.same(parseIperf('iperf3: error'), { error: 'iperf3 printed no JSON: iperf3: error' });
});

t.test('parseDist counts web1 and web2 lines and calls the rest other', async (t) => {
  t.same(parseDist('web1\nweb2\nweb1\nFAIL\n', 5), { web1: 2, web2: 1, other: 2 });
});

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

t.test('labRules writes the lab services in ipvsadm -S form, -m, -F or -g', async (t) => {
  t.equal(
    labRules('-m'),
    '-A -t 192.168.88.5:80 -s rr\n-a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1\n-a -t 192.168.88.5:80 -r 192.168.99.200:80 -m -w 1\n' +
      '-A -t 192.168.88.5:5201 -s rr\n-a -t 192.168.88.5:5201 -r 192.168.99.100:5201 -m -w 1\n',
  );
  t.match(labRules('-F'), /-r 192\.168\.99\.100:80 -F -w 1/);
  t.match(labRules('-g'), /-r 192\.168\.99\.200:80 -g -w 1/);
  t.match(labRules('-i', ['10.0.77.100', '10.0.77.200']), /-r 10\.0\.77\.200:80 -i -w 1/);
  t.match(labRules('-m', undefined, true), /-A -t 192\.168\.88\.5:80 -s rr --synproxy always\n/);
});

t.test('parseOptions has the anchors defaults and checks every option', async (t) => {
  const o = parseOptions([]);
  if (o === 'help') throw new Error('unexpected help');
  t.same(
    [o.peers, o.reps, o.durationS, o.iperfS, o.conns, o.order],
    [['nft', 'haproxy', 'nginx-stream', 'tsvs'], 3, 8, 5, 50, 'interleaved'],
  );
  const p = parseOptions(['--peers=all', '--reps', '1', '--tests', 'ka,dist']);
  if (p === 'help') throw new Error('unexpected help');
  t.same(p.peers, [
    'none',
    'nft',
    'haproxy',
    'nginx-stream',
    'tsvs',
    'tsvs-fullnat',
    'tsvs-dr',
    'tsvs-tun',
    'tsvs-synproxy',
  ]);
  t.same([...p.tests], ['ka', 'dist']);
  t.equal(parseOptions(['-h']), 'help');
  t.throws(() => parseOptions(['--duration', '11']), new UsageError('--duration must be an integer from 1 to 10'));
  t.throws(
    () => parseOptions(['--peers', 'lvs']),
    new UsageError(
      '--peers must be one of none, nft, haproxy, nginx-stream, tsvs, tsvs-fullnat, tsvs-dr, tsvs-tun, tsvs-synproxy',
    ),
  );
  t.throws(() => parseOptions(['--reps']), new UsageError('--reps needs a value'));
});

t.test('--variant adds a tsvs peer with extra [engine] lines, after the listed peers', async (t) => {
  const o = parseOptions([
    '--peers',
    'nft,tsvs',
    '--variant',
    'tsvs-nobp=busy-poll-us 0',
    '--variant=tsvs-x=busy-poll-us 50; conn-capacity 1000',
  ]);
  if (o === 'help') throw new Error('unexpected help');
  t.same(o.peers, ['nft', 'tsvs', 'tsvs-nobp', 'tsvs-x']);
  t.same(
    [...o.variants],
    [
      ['tsvs-nobp', ['busy-poll-us 0']],
      ['tsvs-x', ['busy-poll-us 50', 'conn-capacity 1000']],
    ],
  );
  t.throws(
    () => parseOptions(['--variant', 'fast=busy-poll-us 0']),
    new UsageError('--variant must be NAME=SETTINGS with NAME tsvs-[a-z0-9-], got fast=busy-poll-us 0'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-fullnat=busy-poll-us 0']),
    new UsageError('--variant tsvs-fullnat: name already taken'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-a=busy-poll-us 0', '--variant', 'tsvs-a=busy-poll-us 1']),
    new UsageError('--variant tsvs-a: name already taken'),
  );
  t.throws(
    () => parseOptions(['--variant', 'tsvs-a=[rules]']),
    new UsageError('--variant tsvs-a: not an [engine] line: [rules]'),
  );
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
