// dh (ip_vs_dh.c): 256 buckets, one server each in list order (weights ignored), hashed on the
// packet's destination address: (daddr * 2654435761) & 255.

import t from 'tap';
import { Lab, ip } from './harness.ts';
import { type DhScheduler } from '../../src/sched/dh.ts';

const dst = (k: number): number => ip('10.0.0.0') + k;

function pickDst(lab: Lab, daddr: number, caddr = ip('172.16.0.1')): string {
  lab.input.daddr = daddr;
  lab.input.caddr = caddr;
  return lab.nameOf(lab.pick());
}

t.test('dh deals one bucket per server in scan order and ignores weights', async (t) => {
  const lab = new Lab('dh');
  lab.addInScanOrder([
    ['A', 5],
    ['B', 1],
    ['C', 1],
  ]);
  const buckets = (lab.sched as DhScheduler).buckets.map((d) => lab.nameOf(d));
  t.same(buckets.slice(0, 6), ['A', 'B', 'C', 'A', 'B', 'C']);
  // 10.0.0.1: bucket 177 (% 3 = 0) A; 10.0.0.2: 98 (% 3 = 2) C; 10.0.0.3: 19 (% 3 = 1) B.
  t.same(
    [1, 2, 3].map((k) => pickDst(lab, dst(k))),
    ['A', 'C', 'B'],
  );
});

t.test('dh keys on the destination address, not the client', async (t) => {
  const lab = new Lab('dh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  const picks = new Set<string>();
  for (let c = 0; c < 50; c++) picks.add(pickDst(lab, dst(2), ip('172.16.0.0') + c));
  t.same([...picks], ['C']);
});

t.test('dh gives no server when the bucket server is quiesced, overloaded or gone', async (t) => {
  const lab = new Lab('dh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  lab.edit('A', 0);
  t.equal(pickDst(lab, dst(1)), '-', 'A quiesced: no fallback in dh');
  lab.edit('A', 1);
  lab.overload('A', true);
  t.equal(pickDst(lab, dst(1)), '-');
  lab.overload('A', false);
  t.equal(pickDst(lab, dst(1)), 'A');
  lab.del('B'); // buckets: A C A C ...
  t.same(
    [1, 2, 3].map((k) => pickDst(lab, dst(k))),
    ['C', 'A', 'C'],
  );
});
