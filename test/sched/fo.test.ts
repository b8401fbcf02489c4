// fo (ip_vs_fo.c): the non-OVERLOAD server with the highest weight (> 0), first on ties.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('fo fails over by weight and ignores load', async (t) => {
  const lab = new Lab('fo');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 5],
    ['C', 5],
  ]);
  lab.load('B', 1000, 1000);
  t.same(lab.picks(2), ['B', 'B'], 'B and C tie at 5: B is first in scan order');
  lab.overload('B', true);
  t.same(lab.picks(1), ['C']);
  lab.edit('C', 0);
  t.same(lab.picks(1), ['A']);
  lab.overload('A', true);
  t.same(lab.picks(1), ['-']);
  lab.overload('B', false);
  t.same(lab.picks(1), ['B']);
});

t.test('fo prefers a newly added server of equal weight', async (t) => {
  const lab = new Lab('fo');
  lab.add('A', 3);
  lab.add('B', 3);
  t.same(lab.picks(1), ['B']);
  lab.del('B');
  t.same(lab.picks(1), ['A']);
});
