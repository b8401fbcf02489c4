// wlc (ip_vs_wlc.c): least overhead / weight by cross-multiplication
// ((__s64)loh * dest->weight > (__s64)doh * least->weight), first in scan order on ties.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('wlc shares new connections 1:2:3 for weights 1/2/3', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 2],
    ['C', 3],
  ]);
  // Load = inactive / weight as each pick adds one inactive connection (all active 0):
  //  1 A0 B0 C0 -> A       2 A1 B0 C0 -> B        3 A1 B.5 C0 -> C     4 A1 B.5 C.33 -> C
  //  5 A1 B.5 C.67 -> B    6 A1 B1 C.67 -> C      7 A1 B1 C1 -> A (tie, first)
  //  8 A2 B1 C1 -> B       9 A2 B1.5 C1 -> C     10 A2 B1.5 C1.33 -> C
  // 11 A2 B1.5 C1.67 -> B 12 A2 B2 C1.67 -> C
  t.same(lab.picksWithAccounting(12), ['A', 'B', 'C', 'C', 'B', 'C', 'A', 'B', 'C', 'C', 'B', 'C']);
});

t.test('wlc compares exactly: equal ratios tie and go to the first in scan order', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 3],
    ['B', 7],
    ['C', 21],
  ]);
  lab.load('A', 1, 0); // 256 / 3 = 85.33
  lab.load('B', 0, 597); // 597 / 7 = 85.29: 597 * 3 = 1791 < 256 * 7 = 1792
  lab.load('C', 7, 0); // 1792 / 21 = 256 / 3 exactly
  t.same(lab.picks(1), ['B'], 'B: 597/7 is just below 256/3');
  lab.load('B', 0, 598); // 598 * 3 = 1794 > 1792
  t.same(lab.picks(1), ['A'], 'A and C tie at 256/3: A is first');
});

t.test('wlc never picks a quiesced or overloaded server, even an idle one', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
    ['C', 1],
  ]);
  lab.load('B', 0, 0, true);
  lab.load('C', 50, 50);
  t.same(lab.picks(2), ['C', 'C']);
  lab.overload('C', true);
  t.same(lab.picks(1), ['-']);
  lab.edit('A', 1);
  t.same(lab.picks(1), ['A']);
});

t.test('wlc counts an active connection as 256 inactive ones', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('A', 1, 0);
  lab.load('B', 0, 255);
  t.same(lab.picks(1), ['B']);
  lab.load('B', 0, 256);
  t.same(lab.picks(1), ['A']);
});

t.test('wlc follows weight edits', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('A', 2, 0);
  lab.load('B', 3, 0);
  t.same(lab.picks(1), ['A']);
  lab.edit('B', 2); // 768 / 2 = 384 < 512
  t.same(lab.picks(1), ['B']);
});

t.test('switching a service to wlc ranks the servers already present', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('A', 1, 0);
  lab.switchTo('wlc');
  t.same(lab.picks(1), ['B'], 'init ranks the servers already present');
});
