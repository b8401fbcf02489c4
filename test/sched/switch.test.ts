// ipvsadm -E -s: a service moves between schedulers with its servers present; the result must not
// depend on whether the old scheduler's done() runs before or after the new one's init().

import t from 'tap';
import { Lab, ip, makeScheduler } from './harness.ts';
import { schedulerNames } from '../../src/sched/registry.ts';
import { setTwosSeed } from '../../src/sched/twos.ts';

function setup(from: string): Lab {
  const lab = new Lab(from);
  lab.addInScanOrder([
    ['A', 3],
    ['B', 1],
    ['C', 2],
    ['D', 0],
    ['E', 2],
  ]);
  lab.load('A', 2, 10);
  lab.load('C', 1, 0);
  lab.overload('E', true);
  lab.picks(3);
  return lab;
}

function picks(lab: Lab): string[] {
  const out: string[] = [];
  for (let i = 0; i < 12; i++) {
    lab.input.caddr = ip('172.16.0.1') + i * 977;
    lab.input.daddr = ip('10.1.0.1') + (i % 3);
    out.push(lab.nameOf(lab.pick()));
  }
  return out;
}

t.test('switching schedulers gives the same picks whether done() runs before or after init()', async (t) => {
  const names = schedulerNames();
  const differ: string[] = [];
  let pairs = 0;
  for (const from of names) {
    for (const to of names) {
      const usual = setup(from);
      setTwosSeed(7);
      usual.switchTo(to); // done, then init
      const reversed = setup(from);
      setTwosSeed(7);
      const next = makeScheduler(to);
      const old = reversed.sched;
      next.init(reversed.svc); // init first ...
      old.done(reversed.svc); // ... then done on the old one
      reversed.svc.sched = next;
      const a = picks(usual);
      const b = picks(reversed);
      if (a.join() !== b.join()) differ.push(`${from} -> ${to}: ${a.join('')} vs ${b.join('')}`);
      pairs++;
    }
  }
  t.same(differ, []);
  t.equal(pairs, names.length * names.length);
});

t.test('a service switched back to rr starts over from the list head', async (t) => {
  const lab = setup('rr');
  lab.switchTo('wlc');
  lab.switchTo('rr');
  // A B C (D weight 0, E overloaded) from the head.
  t.same(lab.picks(4), ['A', 'B', 'C', 'A']);
});
