// twos (ip_vs_twos.c): two weighted random choices, the less loaded (per weight) wins.

import t from 'tap';
import { Lab } from './harness.ts';
import { TwosScheduler, setTwosSeed } from '../../src/sched/twos.ts';

function shares(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n, (m.get(n) ?? 0) + 1 / names.length);
  return m;
}

t.test('twos with no load picks by weight, the first server also taking r = 0', async (t) => {
  const lab = new Lab('twos', 0, new TwosScheduler(12345));
  lab.addInScanOrder([
    ['A', 1],
    ['B', 2],
    ['C', 3],
  ]);
  // total 6, r in [0, 6]: 0 and 1 -> A, 2..3 -> B, 4..6 -> C: 2/7, 2/7, 3/7.
  // Equal overheads (0): weight2 * 0 > weight1 * 0 is false, so choice1 stands.
  const s = shares(lab.picks(70000));
  t.ok(Math.abs(s.get('A')! - 2 / 7) < 0.01, `A ${s.get('A')}`);
  t.ok(Math.abs(s.get('B')! - 2 / 7) < 0.01, `B ${s.get('B')}`);
  t.ok(Math.abs(s.get('C')! - 3 / 7) < 0.01, `C ${s.get('C')}`);
});

t.test('twos avoids a loaded server unless both choices land on it', async (t) => {
  const lab = new Lab('twos', 0, new TwosScheduler(777));
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.load('A', 10, 0);
  // r in [0, 2]: A for 0 and 1, B for 2. A only when both choices are A: (2/3)^2 = 4/9.
  const s = shares(lab.picks(60000));
  t.ok(Math.abs(s.get('A')! - 4 / 9) < 0.01, `A ${s.get('A')}`);
});

t.test('twos never picks a quiesced or overloaded server', async (t) => {
  const lab = new Lab('twos', 0, new TwosScheduler(1));
  lab.addInScanOrder([
    ['A', 0],
    ['B', 5],
    ['C', 5],
  ]);
  lab.overload('C', true);
  t.same(new Set(lab.picks(500)), new Set(['B']));
  lab.overload('B', true);
  t.same(lab.picks(2), ['-', '-']);
});

t.test('twos replays the same picks for the same seed', async (t) => {
  const run = (): string[] => {
    const lab = new Lab('twos', 0, new TwosScheduler(2024));
    lab.addInScanOrder([
      ['A', 1],
      ['B', 2],
      ['C', 3],
      ['D', 4],
    ]);
    return lab.picksWithAccounting(200);
  };
  const a = run();
  t.same(run(), a);
  t.equal(new Set(a).size, 4);
  setTwosSeed(2024);
  const lab = new Lab('twos');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 2],
    ['C', 3],
    ['D', 4],
  ]);
  t.same(lab.picksWithAccounting(200), a, 'setTwosSeed seeds the instances created next');
});
