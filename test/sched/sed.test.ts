// sed (ip_vs_sed.c): least (activeconns + 1) / weight, first in scan order on ties;
// inactive connections do not count.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('sed sends the first connections to the fast server, unlike wlc', async (t) => {
  const lab = new Lab('sed');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 3],
  ]);
  // (active + 1) / weight, each pick adds one active connection:
  // 1 A 1/1, B 1/3 -> B    2 A 1, B 2/3 -> B     3 A 1, B 3/3 -> A (tie, first)
  // 4 A 2, B 1 -> B        5 A 2, B 4/3 -> B     6 A 2, B 5/3 -> B     7 A 2, B 2 -> A
  t.same(lab.picksWithAccounting(7, true), ['B', 'B', 'A', 'B', 'B', 'B', 'A']);
  const wlc = new Lab('wlc');
  wlc.addInScanOrder([
    ['A', 1],
    ['B', 3],
  ]);
  // wlc: 0/1 = 0/3: A first; then A 256 vs B 0 -> B ...
  t.same(wlc.picksWithAccounting(3, true), ['A', 'B', 'B']);
});

t.test('sed ignores inactive connections', async (t) => {
  const lab = new Lab('sed');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('A', 1, 0);
  lab.load('B', 0, 10000);
  t.same(lab.picks(1), ['B']);
});

t.test('sed skips weight 0 and OVERLOAD', async (t) => {
  const lab = new Lab('sed');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
    ['C', 1],
  ]);
  lab.load('C', 5, 0);
  lab.overload('B', true);
  t.same(lab.picks(1), ['C']);
  lab.overload('C', true);
  t.same(lab.picks(1), ['-']);
});
