// wrr (ip_vs_wrr.c): exact pick sequences traced by hand through ip_vs_wrr_init_svc,
// ip_vs_wrr_dest_changed and ip_vs_wrr_schedule. State written as (cl, cw; mw, di).

import t from 'tap';
import { Lab } from './harness.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

t.test('wrr switched on with servers present picks A,A,B,A,B,C,A,B,C for weights 4/3/2', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 4],
    ['B', 3],
    ['C', 2],
  ]);
  lab.switchTo('wrr');
  // init_svc: di = gcd(4,3,2) = 1, mw = 4 - 0 = 4, cw = mw = 4, cl = head.
  // 1 from head, cw 4: A.               2 after A: B 3<4, C 2<4, end: cw 3; from head: A.
  // 3 after A: B 3>=3.                  4 after B: C 2<3, end: cw 2; from head: A.
  // 5 after A: B.                       6 after B: C 2>=2.
  // 7 after C: end: cw 1 (last_pass); A.   8 B.   9 C.
  // 10 after C: end: cw 0 -> cw = mw = 4 (last_pass is per call: false), restarted; A.
  t.same(lab.picks(9), ['A', 'A', 'B', 'A', 'B', 'C', 'A', 'B', 'C']);
  t.same(lab.picks(9), ['A', 'A', 'B', 'A', 'B', 'C', 'A', 'B', 'C'], 'and again');
});

t.test('wrr with servers added one by one starts from a different cw', async (t) => {
  const lab = new Lab('wrr');
  // -A: init_svc with no servers: di = 1, mw = 0, cw = 0.
  lab.add('C', 2); // dest_changed: di 2, mw = 2 - 1 = 1, cw 0 -> cw = mw = 1
  lab.add('B', 3); // di 1, mw 3; cw 1 is neither > mw nor 0, di = 1: cw stays 1
  lab.add('A', 4); // di 1, mw 4; cw stays 1
  t.same(lab.scanOrder(), ['A', 'B', 'C']);
  // cw 1: 1 A, 2 B, 3 C; 4 after C: end: cw 0 -> 4, restarted; from head A.
  // 5 after A: nothing >= 4: cw 3; A.  6 B.  7 after B: C 2<3: cw 2; A.  8 B.  9 C.
  // 10 after C: cw 1; A.  11 B.  12 C.  13 after C: cw 0 -> 4; A.
  t.same(lab.picks(13), ['A', 'B', 'C', 'A', 'A', 'B', 'A', 'B', 'C', 'A', 'B', 'C', 'A']);
});

t.test('wrr after an edit restarts from the head with the adjusted cw', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 4],
    ['B', 3],
    ['C', 2],
  ]);
  lab.switchTo('wrr');
  t.same(lab.picks(4), ['A', 'A', 'B', 'A'], 'now (cl A, cw 2)');
  lab.edit('B', 1);
  // dest_changed: cl = head, di = gcd(4,1,2) = 1, mw = 4; cw 2 stays (not > mw, not 0, di 1).
  // cw 2 from head: A; after A: B 1<2, C 2>=2: C.  cw 1: A, B, C.
  // wrap cw 4: A.  cw 3: A.  cw 2: A, C.  cw 1: A, B, C.
  t.same(lab.picks(12), ['A', 'C', 'A', 'B', 'C', 'A', 'A', 'A', 'C', 'A', 'B', 'C']);
});

t.test('wrr rounds cw up to the new gcd step when an edit changes the gcd', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 4],
    ['B', 3],
  ]);
  lab.switchTo('wrr'); // di 1, mw 4, cw 4
  // 1 A (cw 4).  2 after A: B 3<4: cw 3; A.  3 B.  4 after B: end: cw 2; A.  Now (cl A, cw 2).
  t.same(lab.picks(4), ['A', 'A', 'B', 'A']);
  lab.edit('B', 2);
  // dest_changed: di = gcd(4,2) = 2, mw = 4 - 1 = 3; cw 2: not > 3, not 0, di > 1:
  // cw = (2 / 2) * 2 + 1 = 3.
  // 1 from head cw 3: A.  2 after A: B 2<3: cw 1 (last_pass); A.  3 B.
  // 4 after B: end: cw -1 -> 3, restarted; A.  ...
  t.same(lab.picks(6), ['A', 'A', 'B', 'A', 'A', 'B']);
});

t.test('wrr never picks a weight 0 server', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 0],
    ['C', 1],
  ]);
  lab.switchTo('wrr'); // di = gcd(2,1) = 1 (weight 0 ignored), mw 2, cw 2
  // 1 A.  2 after A: B 0<2, C 1<2: cw 1; A.  3 after A: B 0<1, C: C.  4 after C: cw 0 -> 2; A.
  t.same(lab.picks(6), ['A', 'A', 'C', 'A', 'A', 'C']);
});

t.test('wrr steps by the gcd of the weights', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 4],
    ['B', 2],
  ]);
  lab.switchTo('wrr');
  // di = 2, mw = 4 - (2 - 1) = 3, cw 3.
  // 1 A (4>=3).  2 after A: B 2<3: cw = 1, last_pass (1 <= 2); from head A.  3 B (2>=1).
  // 4 after B: end: cw = -1 <= 0 -> cw = 3, restarted; from head A.
  t.same(lab.picks(6), ['A', 'A', 'B', 'A', 'A', 'B']);
  const w = lab.sched as unknown as { cw: number; mw: number; di: number };
  t.same([w.di, w.mw], [2, 3]);
});

t.test('wrr gives no server when every weight is 0', async (t) => {
  const lab = new Lab('wrr');
  lab.add('A', 0);
  lab.add('B', 0);
  // mw = 0 - (1 - 1) = 0: err_noavail.
  t.same(lab.picks(2), ['-', '-']);
  lab.edit('A', 5);
  t.same(lab.picks(2), ['A', 'A']);
});

t.test('a failed wrr pick stops at its starting server and the next pick continues after it', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  lab.switchTo('wrr'); // di 1, mw 1, cw 1
  t.same(lab.picks(1), ['A'], '(cl A, cw 1)');
  lab.overload('A', true);
  lab.overload('B', true);
  lab.overload('C', true);
  // last = A. After A: B, C overloaded; end: cw 0 -> mw 1; last_pass false, last != head:
  // restarted. last_pass = 1 <= 1, so stop = A. From head: A overloaded and A == stop:
  // err_over with cl = A.
  t.same(lab.picks(1), ['-']);
  lab.overload('A', false);
  lab.overload('C', false);
  // Overload flips do not call dest_changed: cl is still A, so the walk starts after A:
  // B overloaded, C.
  t.same(lab.picks(3), ['C', 'A', 'C']);
});

t.test('wrr gives each server weight/gcd picks in every full cycle', async (t) => {
  const rng = new Mulberry32(4242);
  const wrong: string[] = [];
  let cycles = 0;
  for (let round = 0; round < 40; round++) {
    const n = 1 + (rng.nextU32() % 8);
    const mult = 1 + (rng.nextU32() % 3);
    const servers: [string, number][] = [];
    for (let i = 0; i < n; i++) servers.push([`s${i}`, mult * (1 + (rng.nextU32() % 6))]);
    const lab = new Lab('rr');
    lab.addInScanOrder(servers);
    lab.switchTo('wrr');
    const di = (lab.sched as unknown as { di: number }).di;
    const cycle = servers.reduce((a, [, w]) => a + w / di, 0);
    for (let c = 0; c < 3; c++) {
      cycles++;
      const counts = new Map<string, number>();
      for (const name of lab.picks(cycle)) counts.set(name, (counts.get(name) ?? 0) + 1);
      for (const [name, w] of servers) {
        if (counts.get(name) !== w / di)
          wrong.push(`round ${round} cycle ${c}: ${name} (w ${w}) got ${counts.get(name)}`);
      }
    }
  }
  t.same(wrong, [], 'servers with equal weights get equal shares, and shares follow the weights');
  t.equal(cycles, 120);
});
