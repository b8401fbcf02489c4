// The simulator drives the real schedulers and the real connection accounting: its pick
// sequences are IPVS's exact ones (derived by hand from net/netfilter/ipvs/ip_vs_rr.c,
// ip_vs_wrr.c and ip_vs_lc.c, with servers added by -a one by one, each at the list head).
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { simulate } from '../../bench/sim/simulate.ts';
import { TUTORIAL_SERVERS, mini } from './helpers.ts';

function tutorial(sched: string, picks: number) {
  const sc = mini({ durationSec: 60, servers: TUTORIAL_SERVERS, arrivals: { kind: 'poisson', ratePerSec: 100 } });
  return simulate(sc, sched, { pickLog: picks });
}

t.test(
  'rr on the tutorial service ignores the weights: web2, web1, web2, web1, ... (web2 was added last, so it heads the list)',
  async (t) => {
    const run = tutorial('rr', 8);
    t.same(run.rec.pickLog, ['web2', 'web1', 'web2', 'web1', 'web2', 'web1', 'web2', 'web1']);
    const [w1, w2] = [...run.rec.picks];
    t.ok(Math.abs(w1! - w2!) <= 1, `1:1 over the run (${w1}:${w2})`);
  },
);

t.test(
  'wrr on the tutorial service gives the kernel order web2, web1, then web2, web2, web1 for ever: 1:2',
  async (t) => {
    // -A: mw = 0, cw = 0. -a web1 -w 1: mw = 1, cw = 0 -> mw = 1. -a web2 -w 2: mw = 2, cw stays 1.
    // Pick 1 from the head with cw 1: web2; pick 2: web1; then cw wraps to 2: web2, cw 1: web2, web1 ...
    const run = tutorial('wrr', 302);
    t.same(run.rec.pickLog.slice(0, 11), [
      'web2',
      'web1',
      'web2',
      'web2',
      'web1',
      'web2',
      'web2',
      'web1',
      'web2',
      'web2',
      'web1',
    ]);
    const count = (name: string): number => run.rec.pickLog.filter((p) => p === name).length;
    t.same([count('web1'), count('web2')], [101, 201], 'the first 302 picks: 1 + 100 and 1 + 200');
    const [w1, w2] = [...run.rec.picks];
    t.ok(Math.abs(w2! - 2 * w1!) <= 2, `1:2 over the whole run (${w1}:${w2})`);
  },
);

t.test('lc sees connections go active, then inactive in TIME_WAIT, exactly as IPVS counts them', async (t) => {
  // Scan order web3, web2, web1. Overhead = 256 * active + inactive, ties to the list head.
  //   t=0   all 0                              -> web3 (long: active, 256)
  //   t=10  web3 256, web2 0, web1 0           -> web2 (1 ms: FIN exchange at t=11, TIME_WAIT: 1)
  //   t=20  web3 256, web2 1, web1 0           -> web1 (1 ms: TIME_WAIT at t=21: 1)
  //   t=30  web3 256, web2 1, web1 1           -> web2 (tie with web1, web2 scans first; long: 257)
  //   t=40  web3 256, web2 257, web1 1         -> web1
  // rr would give web3, web2, web1, web3, web2.
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-sim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lc.csv'), 'time_ms,demand_ms\n0,1000000\n10,1\n20,1\n30,1000000\n40,1000000\n');
  const sc = mini(
    {
      durationSec: 1,
      servers: [{ name: 'web1' }, { name: 'web2' }, { name: 'web3' }],
      arrivals: { kind: 'trace', file: 'lc.csv' },
    },
    dir,
  );
  t.same(simulate(sc, 'lc', { pickLog: 5 }).rec.pickLog, ['web3', 'web2', 'web1', 'web2', 'web1']);
  t.same(simulate(sc, 'rr', { pickLog: 5 }).rec.pickLog, ['web3', 'web2', 'web1', 'web3', 'web2']);
});

t.test('a server quiesced with weight 0 gets no new connection, and its requests in flight still finish', async (t) => {
  const sc = mini({
    durationSec: 40,
    servers: [{ name: 'web1' }, { name: 'web2' }],
    arrivals: { kind: 'poisson', ratePerSec: 40 },
    demand: { kind: 'fixed', ms: 200 },
    bins: 40,
    events: [
      { atSec: 10, action: 'weight', server: 'web1', weight: 0 },
      { atSec: 30, action: 'weight', server: 'web1', weight: 1 },
    ],
  });
  const run = simulate(sc, 'rr');
  const n = 2;
  const web1 = (from: number, to: number): number => {
    let c = 0;
    for (let b = from; b < to; b++) c += run.rec.binPicks[b * n]!;
    return c;
  };
  t.equal(web1(10, 30), 0, 'no pick of web1 from 10 s to 30 s');
  t.ok(web1(0, 10) > 100 && web1(30, 40) > 100, 'before and after it takes half');
  t.equal(run.rec.broken, 0, 'nothing cut');
  t.equal(run.rec.events[0]!.brokenInFlight, 0);
});

t.test(
  "ipvsadm -d cuts the removed server's connections (ip_vs_in drops their client packets), weight 0 does not",
  async (t) => {
    const sc = mini({
      durationSec: 20,
      servers: [{ name: 'web1' }, { name: 'web2' }],
      arrivals: { kind: 'poisson', ratePerSec: 40 },
      demand: { kind: 'fixed', ms: 500 },
      events: [{ atSec: 10, action: 'remove', server: 'web1' }],
    });
    const run = simulate(sc, 'rr');
    const ev = run.rec.events[0]!;
    t.equal(ev.label, 'ipvsadm -d web1');
    t.ok(ev.brokenInFlight >= 5, `${ev.brokenInFlight} requests in flight were cut`);
    t.equal(run.rec.broken, ev.brokenInFlight);
  },
);
