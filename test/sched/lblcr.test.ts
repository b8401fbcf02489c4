// lblcr (ip_vs_lblcr.c): a destination address maps to a set of servers; the set grows when
// its least loaded member is overloaded and shrinks after lblcr_expiration without change.

import t from 'tap';
import { Lab, ip } from './harness.ts';
import { type LblcrScheduler } from '../../src/sched/lblcr.ts';

const X = ip('10.1.0.1');

function pickDst(lab: Lab, daddr: number, nowMs = 0): string {
  lab.input.daddr = daddr;
  lab.input.nowMs = nowMs;
  return lab.nameOf(lab.pick());
}

function setOf(lab: Lab, daddr: number): string[] {
  const en = (lab.sched as LblcrScheduler).table.get(daddr);
  return en === null ? [] : en.set.map((d) => lab.nameOf(d)).reverse(); // list order, head first
}

t.test('lblcr replicates a busy destination onto another server', async (t) => {
  const lab = new Lab('lblcr');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 2],
    ['C', 2],
  ]);
  t.equal(pickDst(lab, X), 'A');
  t.same(setOf(lab, X), ['A']);
  lab.load('A', 3, 0); // over its weight, and B, C are under half
  t.equal(pickDst(lab, X), 'B', 'the wlc pick joins the set');
  t.same(setOf(lab, X), ['B', 'A'], 'new members go to the head of the set');
  lab.load('B', 1, 0); // set_min: A 768/2 vs B 256/2 -> B
  t.equal(pickDst(lab, X), 'B');
  lab.load('A', 0, 0);
  t.equal(pickDst(lab, X), 'A', 'the least loaded member of the set');
  t.same(setOf(lab, X), ['B', 'A']);
});

t.test('lblcr prunes the most loaded member after the set stayed unchanged for lblcr_expiration', async (t) => {
  const lab = new Lab('lblcr');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 2],
    ['C', 2],
  ]);
  const sched = lab.sched as LblcrScheduler;
  sched.table.expirationMs = 10000;
  pickDst(lab, X, 0);
  lab.load('A', 3, 0);
  t.equal(pickDst(lab, X, 1000), 'B'); // set [B, A], lastmod 1000
  lab.load('A', 1, 0);
  lab.load('B', 2, 0);
  t.equal(pickDst(lab, X, 11000), 'A', 'now == lastmod + 10 s: not yet (time_after is strict)');
  t.same(setOf(lab, X), ['B', 'A']);
  // At 11001: set_min picks A (256/2 < 512/2); then set_max removes B; A is used.
  t.equal(pickDst(lab, X, 11001), 'A');
  t.same(setOf(lab, X), ['A']);
});

t.test('lblcr skips set members that were deleted or quiesced', async (t) => {
  const lab = new Lab('lblcr');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 2],
    ['C', 2],
  ]);
  pickDst(lab, X);
  lab.load('A', 3, 0);
  t.equal(pickDst(lab, X), 'B');
  lab.del('B');
  t.equal(pickDst(lab, X), 'C', 'B is gone and A is overloaded: the wlc pick C joins');
  t.same(setOf(lab, X), ['C', 'B', 'A'], 'the deleted member stays in the set, as in the kernel');
  lab.edit('C', 0);
  lab.load('A', 0, 0);
  t.equal(pickDst(lab, X), 'A');
});
