// ovf (ip_vs_ovf.c): the highest weight among servers with activeconns <= weight, first on ties.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('ovf fills the heaviest server up to its weight, then overflows to the next', async (t) => {
  const lab = new Lab('ovf');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 3],
    ['C', 3],
  ]);
  // B takes connections while active 0..3 <= 3 (four picks), then C (four), then A (three).
  t.same(lab.picksWithAccounting(12, true), ['B', 'B', 'B', 'B', 'C', 'C', 'C', 'C', 'A', 'A', 'A', '-']);
  lab.load('B', 3, 0);
  t.same(lab.picks(1), ['B'], 'a connection ended on B: back within its weight');
});

t.test('ovf counts only active connections and skips weight 0 and OVERLOAD', async (t) => {
  const lab = new Lab('ovf');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 2],
    ['C', 1],
  ]);
  lab.load('B', 0, 500);
  t.same(lab.picks(1), ['B']);
  lab.overload('B', true);
  t.same(lab.picks(1), ['C']);
});
