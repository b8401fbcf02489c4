// nq (ip_vs_nq.c): the first idle server (activeconns == 0) in scan order, else the sed pick.

import t from 'tap';
import { Lab } from './harness.ts';

t.test('nq takes idle servers in scan order before weighing the busy ones', async (t) => {
  const lab = new Lab('nq');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 3],
    ['C', 1],
  ]);
  // 1-3: A, B, C are idle in turn (each pick adds an active connection).
  // 4: none idle: A 2/1, B 2/3, C 2/1 -> B     5: B 3/3 -> B     6: B 4/3 -> B
  // 7: B 5/3 -> B                              8: A 2, B 6/3 = 2, C 2: tie -> A
  t.same(lab.picksWithAccounting(8, true), ['A', 'B', 'C', 'B', 'B', 'B', 'B', 'A']);
  lab.load('C', 0, 7);
  t.same(lab.picks(1), ['C'], 'C is idle again (inactive connections do not count)');
  const sed = new Lab('sed');
  sed.addInScanOrder([
    ['A', 1],
    ['B', 3],
    ['C', 1],
  ]);
  t.same(sed.picks(1), ['B'], 'sed would have taken the fastest server at once');
});

t.test('nq prefers an idle slow server over a busy fast one', async (t) => {
  const lab = new Lab('nq');
  lab.addInScanOrder([
    ['A', 100],
    ['B', 1],
  ]);
  lab.load('A', 1, 0);
  t.same(lab.picks(1), ['B']);
});

t.test('nq skips idle servers that are quiesced or overloaded', async (t) => {
  const lab = new Lab('nq');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
    ['C', 2],
  ]);
  lab.overload('B', true);
  lab.load('C', 4, 0);
  t.same(lab.picks(1), ['C']);
  lab.overload('C', true);
  t.same(lab.picks(1), ['-']);
});
