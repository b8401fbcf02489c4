import t from 'tap';
import { RateEstimator, EstimatorSet, emptyRates, EST_INTERVAL_MS } from '../../src/metrics/estimator.ts';
import { Counters, StatsZero, emptyStats, loadStats, STAT_FIELDS } from '../../src/metrics/counters.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { Dest, AF_INET } from '../../src/model/dest.ts';
import { ManualTimers } from '../../src/lib/timers.ts';

const src = () => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });

t.test(
  'cps follows the kernel integers: rate = delta << 9, avg += (rate - avg) >> 2, read (avg + 0x1FF) >> 10',
  async (t) => {
    const s = src();
    const e = new RateEstimator(s);
    const steps: Array<[number, number, number]> = []; // [conns after tick, stored cps, decoded cps]
    for (const add of [10, 10, 0, 0, 0, 0]) {
      s.conns += add;
      e.estimate(s);
      steps.push([s.conns, e.avg[0] ?? -1, e.read(emptyRates()).cps]);
    }
    t.same(steps, [
      [10, 1280, 1], // 5120 >> 2
      [20, 2240, 2], // 1280 + (5120 - 1280) >> 2
      [20, 1680, 2], // 2240 + (-2240 >> 2)
      [20, 1260, 1],
      [20, 945, 1], // 1260 + floor(-1260 / 4) = 1260 - 315
      [20, 708, 1], // 945 + floor(-945 / 4) = 945 - 237 (the shift floors negatives)
    ]);
  },
);

t.test('packets use the 2^10 scale and bytes the 2^5 scale', async (t) => {
  const s = src();
  const e = new RateEstimator(s);
  s.inPkts = 4000;
  s.outPkts = 3;
  s.inBytes = 3000;
  s.outBytes = 1;
  e.estimate(s);
  t.same([...e.avg], [0, 512000, 384, 12000, 4]); // 4000<<9>>2, 3<<9>>2, 3000<<4>>2, 1<<4>>2
  t.same(e.read(emptyRates()), { cps: 0, inPps: 500, outPps: 0, inBps: 375, outBps: 0 });
  for (let i = 0; i < 100; i++) {
    s.inPkts += 4000; // 2000 packets/s
    s.inBytes += 3000; // 1500 bytes/s
    e.estimate(s);
  }
  t.same(
    e.read(emptyRates()),
    { cps: 0, inPps: 2000, outPps: 0, inBps: 1500, outBps: 0 },
    'converges to the true per-second rate',
  );
  t.same(
    [e.avg[1], e.avg[3]],
    [2048000 - 3, 48000 - 3],
    'the stored averages stop 3 short: floor((rate - avg) / 4) is 0 once the gap is under 4',
  );
});

t.test('a BigInt model of the C code agrees on a long irregular sequence', async (t) => {
  const s = src();
  const e = new RateEstimator(s);
  let last = [0n, 0n, 0n, 0n, 0n];
  let avg = [0n, 0n, 0n, 0n, 0n];
  const shifts = [9n, 9n, 9n, 4n, 4n];
  let x = 12345;
  for (let step = 0; step < 300; step++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const burst = step % 50 < 25 ? x % 5000 : 0;
    s.conns += burst % 97;
    s.inPkts += burst;
    s.outPkts += burst >> 1;
    s.inBytes += burst * 1460;
    s.outBytes += burst * 60;
    e.estimate(s);
    const n = [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map(BigInt);
    avg = avg.map((a, i) => {
      const rate = (n[i]! - last[i]!) << shifts[i]!;
      return a + ((rate - a) >> 2n); // BigInt >> is an arithmetic shift, like s64 >> on gcc
    });
    last = n;
    if ([...e.avg].some((v, i) => BigInt(v) !== avg[i])) {
      t.fail(`diverged at step ${step}`);
      return;
    }
  }
  t.pass('identical for 300 ticks');
});

t.test('-Z zeroes the rates and the shown counters but not the underlying counters', async (t) => {
  const c = new Counters();
  const zero = new StatsZero();
  const e = new RateEstimator(c);
  c.countConn();
  c.countIn(100);
  c.countOut(1500);
  e.estimate(c);
  t.same(zero.read(c, emptyStats()), { conns: 1, inPkts: 1, outPkts: 1, inBytes: 100, outBytes: 1500 });
  zero.zero(c);
  e.zero(c);
  t.same(zero.read(c, emptyStats()), { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
  t.same(e.read(emptyRates()), emptyRates());
  t.equal(c.inBytes, 100, 'kstats keep counting; only the zero point moved');
  c.countIn(40);
  e.estimate(c);
  t.same(zero.read(c, emptyStats()), { conns: 0, inPkts: 1, outPkts: 0, inBytes: 40, outBytes: 0 });
  t.same([...e.avg], [0, 128, 0, 160, 0], 'the next tick counts only what came after -Z');
});

t.test('the estimator set ticks every 2 s over model dests and services', async (t) => {
  const timers = new ManualTimers();
  const d = new Dest(AF_INET, 0xc0a86364, 80);
  const set = new EstimatorSet();
  const e = set.add(d);
  t.equal(set.add(d), e, 'adding twice keeps one estimator');
  set.start(timers);
  d.conns = 2;
  await timers.advance(EST_INTERVAL_MS - 1);
  t.equal(e.avg[0], 0);
  await timers.advance(1);
  t.equal(e.avg[0], 256);
  set.stop();
  d.conns = 4;
  await timers.advance(10 * EST_INTERVAL_MS);
  t.equal(e.avg[0], 256, 'no ticks after stop');
  set.remove(d);
  t.equal(set.size, 0);
});

// --- counters.ts ---
t.test('counters count in, out and connections and stay exact past 2^32', async (t) => {
  const c = new Counters();
  c.countConn();
  c.countIn(60);
  c.countIn(1500);
  c.countOut(40);
  t.same([c.conns, c.inPkts, c.outPkts, c.inBytes, c.outBytes], [1, 2, 1, 1560, 40]);
  c.v[3] = 2 ** 40;
  for (let i = 0; i < 3; i++) c.countIn(2 ** 32);
  t.equal(c.inBytes, 2 ** 40 + 3 * 2 ** 32);
  t.equal(c.inBytes % 2 ** 32, 0, 'no 32-bit wrap');
});

t.test('the zero point reads any object with the five fields, such as a model Service', async (t) => {
  const svc = new Service(AF_INET, IPPROTO_TCP, 0xc0a85805, 80, 0, 'rr', { name: 'rr' } as never);
  svc.conns = 7;
  svc.inBytes = 700;
  const z = new StatsZero();
  t.same(z.read(svc, emptyStats()), { conns: 7, inPkts: 0, outPkts: 0, inBytes: 700, outBytes: 0 });
  z.zero(svc);
  svc.conns = 9;
  t.same(z.read(svc, emptyStats()), { conns: 2, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
  const v = new Float64Array(STAT_FIELDS);
  loadStats(svc, v);
  t.same([...v], [9, 0, 0, 700, 0]);
});
