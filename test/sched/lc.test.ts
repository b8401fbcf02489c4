// lc (ip_vs_lc.c): least (activeconns << 8) + inactconns; strict `doh < loh`, so the first
// server in scan order wins ties; weight 0 and OVERLOAD are skipped.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('lc picks the least overhead, the first in scan order on ties', async (t) => {
  const lab = new Lab('lc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
    ['D', 0],
    ['E', 1],
  ]);
  lab.load('A', 1, 0); // 256
  lab.load('B', 0, 300); // 300
  lab.load('C', 0, 256); // 256
  lab.load('E', 0, 0, true); // 0 but OVERLOAD; D: 0 but weight 0
  // A 256 = C 256 < B 300: A (first). Each pick adds an inactive connection:
  // A 257 > C 256: C; A 257 = C 257: A; C.
  t.same(lab.picksWithAccounting(4), ['A', 'C', 'A', 'C']);
  lab.overload('E', false);
  t.same(lab.picks(1), ['E'], 'E is back with overhead 0');
  lab.edit('D', 1);
  t.same(lab.picks(1), ['D'], 'D (overhead 0) is before E in scan order');
});

t.test('lc weighs one active connection as 256 inactive ones and ignores weights', async (t) => {
  const lab = new Lab('lc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 100],
  ]);
  lab.load('A', 1, 0); // 256
  lab.load('B', 0, 255); // 255
  t.same(lab.picks(1), ['B']);
  lab.load('B', 0, 256);
  t.same(lab.picks(1), ['A'], "tie: A is first in scan order, B's weight 100 does not matter");
});

t.test('lc gives no server when every server is quiesced or overloaded', async (t) => {
  const lab = new Lab('lc');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
  ]);
  lab.overload('B', true);
  t.same(lab.picks(1), ['-']);
});

t.test('lc forgets a deleted server even when its connections still end later', async (t) => {
  const lab = new Lab('lc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('B', 5, 0);
  const a = lab.dest('A');
  lab.del('A');
  a.activeConns = 0;
  lab.sched.loadChanged(lab.svc, a);
  t.same(lab.picks(2), ['B', 'B']);
});
