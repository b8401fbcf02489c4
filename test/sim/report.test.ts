// The report: a self-contained HTML file with inline SVG plots, markdown and CSV tables, the
// cost table parsed from bench/sched.bench.ts, and the command line.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { runBench, writeReport } from '../../bench/sim/run.ts';
import { renderHtml } from '../../bench/sim/report-html.ts';
import { parseCostTable } from '../../bench/sim/cost.ts';
import { parseArgs } from '../../bench/sim/args.ts';
import { parseTrace } from '../../bench/sim/trace.ts';
import { mini } from './helpers.ts';

const sc = mini({
  name: 'tiny',
  title: 'Tiny',
  teaches: 'Teaches <things> & stuff.',
  durationSec: 20,
  servers: [{ name: 'web1' }, { name: 'web2' }, { name: 'web3' }],
  arrivals: { kind: 'poisson', ratePerSec: 150 },
  events: [
    { atSec: 8, action: 'fail', server: 'web2' },
    { atSec: 14, action: 'recover', server: 'web2' },
  ],
});

t.test('the HTML report is one self-contained file: inline SVG plots, no script, nothing fetched', async (t) => {
  const rep = await runBench({
    scenario: sc,
    schedulers: ['rr', 'mh'],
    cost: false,
    command: 'npm run bench:sched -- --scenario tiny',
  });
  const html = renderHtml(rep);
  t.ok(html.startsWith('<!doctype html>'));
  t.notMatch(html, /<script|<link|<img|@import|url\((?!#)/i, 'no script, stylesheet, image or url()');
  t.same(
    html.match(/https?:\/\/[^"' ]+/g)!.filter((u) => u !== 'http://www.w3.org/2000/svg'),
    [],
    'only the SVG namespace as a URL',
  );
  // CDF, tail, p95 over time, failed over time, slowest queue, 2 x (share over time, share vs weight), churn
  t.equal(html.match(/<svg /g)!.length, 10);
  t.match(html, 'Teaches &lt;things&gt; &amp; stuff.');
  t.match(html, 'health check: -d web2');
  t.match(html, /of clients moved \(min \d+\.\d%\)/, 'mh disruption in the events table');
});

t.test('writeReport writes the HTML, the markdown and the CSV tables', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-sim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rep = await runBench({ scenario: sc, schedulers: ['rr', 'lc'], cost: false, command: 'x' });
  writeReport(rep, dir);
  t.same(readdirSync(dir).sort(), [
    'events.csv',
    'latency-cdf.csv',
    'report.html',
    'servers.csv',
    'summary.csv',
    'summary.md',
    'timeseries.csv',
  ]);
  const summary = readFileSync(join(dir, 'summary.csv'), 'utf8').trim().split('\n');
  t.equal(summary.length, 3);
  t.match(
    summary[0]!,
    /^scheduler,requests,completed,unfinished,dropped,lost_to_dead,cut_in_flight,failed_share,mean_ms,p50_ms/,
  );
  t.equal(readFileSync(join(dir, 'servers.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 3);
  t.equal(readFileSync(join(dir, 'timeseries.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 60);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  t.match(md, '| scheduler | p50 | p95 | p99 | mean | failed |');
  t.match(md, '**What it teaches:** Teaches <things> & stuff.');
});

t.test('the cost table of bench/sched.bench.ts is read row by row', async (t) => {
  const out =
    'sched rr\nrr n=2 pick: 9.1 ns/pick (109.89 M picks/s, ±1.0%)\n\n| scheduler | n | ns/pick: pick | open | open+close | M picks/s (pick) |\n' +
    '|---|---:|---:|---:|---:|---:|\n| rr | 2 | 10.0 | 12.5 | 20.0 | 100.0 |\n| wlc | 10000 | 80.0 | 120.0 | 250.0 | 12.5 |\n';
  t.same(parseCostTable(out), [
    { scheduler: 'rr', n: 2, nsPick: 10, nsOpen: 12.5, nsOpenClose: 20, picksPerSec: 1e8 },
    { scheduler: 'wlc', n: 10000, nsPick: 80, nsOpen: 120, nsOpenClose: 250, picksPerSec: 12.5e6 },
  ]);
});

t.test("the command line takes the issue's flags and refuses what it does not know", async (t) => {
  t.same(
    parseArgs([
      '--scenario',
      'one-slow',
      '--schedulers',
      'rr,lc',
      '--seed',
      '9',
      '--out',
      '/tmp/x',
      '--duration=60',
      '--no-cost',
    ]),
    {
      scenarios: ['one-slow'],
      schedulers: ['rr', 'lc'],
      seed: 9,
      durationSec: 60,
      out: '/tmp/x',
      cost: false,
      list: false,
      help: false,
    },
  );
  const usage = (argv: string[], message: string): void => {
    t.throws(() => parseArgs(argv), { code: 'EINVAL', exitCode: 2, message }, message);
  };
  usage([], '--scenario is required');
  usage(['--scenario'], '--scenario needs a value');
  usage(['--scenario', 'x', '--seed', '-1'], '--seed must be an integer 0..4294967295, not -1');
  usage(['--scenario', 'x', '--duration', '0'], '--duration must be a positive number of seconds, not 0');
  usage(['--scenario', 'x', '--fast'], 'unknown option --fast');
});

t.test('a trace gives times and demands, or sizes in bytes when its header says so', async (t) => {
  const tr = parseTrace('# sample\ntime_ms,bytes,client\n0,25000,10.0.0.1\n5.5,12500,\n', 12500, 'trace x');
  t.same([...tr.timeMs], [0, 5.5]);
  t.same([...tr.demandMs], [2, 1]);
  t.same([...tr.client], [0x0a000001, -1]);
  t.throws(() => parseTrace('0,1\n5,0\n', 1, 'trace x'), { message: 'trace x:2: bad demand 0' });
  t.throws(() => parseTrace('5,1\n4,1\n', 1, 'trace x'), { message: 'trace x:2: times must not decrease' });
});

t.test('npm run bench:sched runs a scenario file end to end and writes its report folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-sim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tiny.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'tiny',
      teaches: 'x',
      durationSec: 5,
      servers: [{ name: 'a' }, { name: 'b' }],
      arrivals: { kind: 'poisson', ratePerSec: 50 },
      demand: { kind: 'exp', meanMs: 10 },
      schedulers: ['rr'],
    }),
  );
  const out = join(dir, 'out');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/sim/cli.ts', '--scenario', file, '--no-cost', '--out', out],
    { encoding: 'utf8', timeout: 60_000 },
  );
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, `report: ${join(out, 'report.html')}`);
  t.ok(readdirSync(out).includes('report.html'));
  const bad = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/sim/cli.ts', '--scenario', file, '--schedulers', 'xyz'],
    { encoding: 'utf8', timeout: 60_000 },
  );
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^bench:sched: Scheduler module ip_vs_xyz not found\n/);
});
