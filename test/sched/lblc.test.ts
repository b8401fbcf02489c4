// lblc (ip_vs_lblc.c): a destination address sticks to its server until that server is
// unavailable or over its weight while another server is under half of its weight.

import t from 'tap';
import { Lab, ip } from './harness.ts';
import { type LblcScheduler } from '../../src/sched/lblc.ts';

const X = ip('10.1.0.1');
const Y = ip('10.1.0.2');

function pickDst(lab: Lab, daddr: number, nowMs = 0): string {
  lab.input.daddr = daddr;
  lab.input.nowMs = nowMs;
  return lab.nameOf(lab.pick());
}

t.test('lblc keeps a destination on its server while wlc would move it', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 2],
  ]);
  t.equal(pickDst(lab, X), 'A', 'no entry: the wlc pick, A first on the tie');
  lab.load('A', 2, 0); // A is busier but not over its weight (2 > 2 is false)
  t.equal(pickDst(lab, X), 'A');
  t.equal(pickDst(lab, Y), 'B', 'a new destination gets the wlc pick');
});

t.test('lblc moves a destination off a server over its weight when another is under half', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 2],
  ]);
  t.equal(pickDst(lab, X), 'A');
  lab.load('A', 3, 0); // 3 > 2
  lab.load('B', 1, 0); // 1 * 2 < 2 is false: nobody under half
  t.equal(pickDst(lab, X), 'A', 'not "overloaded" while no server is under half its weight');
  lab.load('B', 0, 0); // now B is under half
  t.equal(pickDst(lab, X), 'B', 'rescheduled with wlc and the entry replaced');
  lab.load('A', 0, 0);
  t.equal(pickDst(lab, X), 'B', 'the new entry sticks');
});

t.test('lblc reschedules when the cached server is quiesced or deleted', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  t.equal(pickDst(lab, X), 'A');
  lab.edit('A', 0);
  t.equal(pickDst(lab, X), 'B', 'A quiesced: the wlc pick B replaces the entry');
  lab.del('B');
  lab.edit('A', 1);
  t.equal(pickDst(lab, X), 'A', 'B deleted: wlc picks A (first of the idle A and C)');
});

t.test('lblc keeps using a cached server with the OVERLOAD flag, like ip_vs_lblc_schedule', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  t.equal(pickDst(lab, X), 'A');
  lab.overload('A', true);
  // The cache check is AVAILABLE && weight > 0 && !is_overloaded() (activeconns vs weight);
  // the OVERLOAD flag only matters to the wlc step for new destinations.
  t.equal(pickDst(lab, X), 'A');
  t.equal(pickDst(lab, Y), 'B');
});

t.test('lblc never returns a deleted server even if its AVAILABLE flag was left set', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  t.equal(pickDst(lab, X), 'A');
  const a = lab.dest('A');
  lab.del('A');
  a.flags |= 1; // DEST_F_AVAILABLE
  t.equal(pickDst(lab, X), 'B');
});

t.test('lblc drops an entry unused for lblc_expiration (24 h) at a full check', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  const sched = lab.sched as LblcScheduler;
  t.equal(pickDst(lab, X, 0), 'A'); // the timer starts: rounds every 60 s from here
  lab.load('A', 1, 0); // wlc would now pick B
  // Keep the clock going with another destination; a full check runs every 30th round.
  for (let m = 1; m <= 1439; m++) pickDst(lab, Y, m * 60000 + 1);
  t.not(sched.table.get(X), null, 'still there after 23 h 59 min');
  pickDst(lab, Y, 1440 * 60000 + 1); // round 1440 is a full check: now >= lastuse + 24 h
  t.equal(sched.table.get(X), null, 'dropped at 24 h');
  t.equal(pickDst(lab, X, 1441 * 60000), 'B', 'a fresh wlc pick');
});

t.test('lblc trims entries idle for 6 minutes once the table holds more than 16384', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([['A', 1]]);
  const tbl = (lab.sched as LblcScheduler).table;
  for (let i = 0; i < 16384 + 300; i++) pickDst(lab, ip('10.64.0.0') + i, 1000);
  t.equal(tbl.entries, 16684);
  for (let m = 1; m <= 5; m++) pickDst(lab, Y, m * 60000 + 1000);
  t.equal(tbl.entries, 16685, 'rounds 1-5: nothing idle for 6 minutes yet (Y was added)');
  // Round 6 at 6:01: entries made at 0:01 fail time_before(now, lastuse + 6 min).
  pickDst(lab, Y, 6 * 60000 + 1000);
  const goal = Math.trunc(((16685 - 16384) * 4) / 3); // 401
  const dropped = 16685 - tbl.entries;
  t.ok(dropped >= goal && dropped < goal + 200, `dropped ${dropped}, goal ${goal}, whole buckets at a time`);
  t.not(tbl.get(Y), null, 'the fresh entry stays');
});

t.test('lblc counts a replaced entry twice, like ip_vs_lblc_new', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  const tbl = (lab.sched as LblcScheduler).table;
  pickDst(lab, X);
  t.equal(tbl.entries, 1);
  lab.edit('A', 0);
  t.equal(pickDst(lab, X), 'B');
  t.equal(tbl.entries, 2, 'ip_vs_lblc_del does not decrement tbl->entries');
  t.equal(
    tbl.buckets.reduce((n, b) => n + b.length, 0),
    1,
    'one entry in the table',
  );
});

t.test('lblc forgets its table when the service leaves it', async (t) => {
  const lab = new Lab('lblc');
  lab.addInScanOrder([['A', 1]]);
  const sched = lab.sched as LblcScheduler;
  pickDst(lab, X);
  lab.switchTo('rr');
  t.equal(sched.table.get(X), null);
  t.equal(sched.table.entries, 0);
});
