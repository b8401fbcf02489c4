// rr (ip_vs_rr.c): exact pick sequences, traced by hand through ip_vs_rr_schedule and
// ip_vs_rr_del_dest. Notation: the list in scan order, `^` marks the cursor (sched_data).

import t from 'tap';
import { Lab } from './harness.ts';

t.test('rr walks the list from the head, so the newest server comes first', async (t) => {
  const lab = new Lab('rr');
  lab.add('A', 1);
  lab.add('B', 1);
  lab.add('C', 1);
  t.same(lab.scanOrder(), ['C', 'B', 'A'], 'each -a goes to the list head');
  // ^head C B A: after head C; after C B; after B A; after A: end, 2nd pass from head C ...
  t.same(lab.picks(7), ['C', 'B', 'A', 'C', 'B', 'A', 'C']);
});

t.test('rr skips servers with weight 0 and OVERLOAD servers', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['D', 1],
    ['C', 1],
    ['B', 0],
    ['A', 1],
  ]);
  lab.overload('C', true);
  // D; after D: C overloaded, B weight 0, A; after A: end, from head D ...
  t.same(lab.picks(5), ['D', 'A', 'D', 'A', 'D']);
  lab.overload('C', false);
  // cursor at D: C is back.
  t.same(lab.picks(4), ['C', 'A', 'D', 'C']);
});

t.test('rr moves the cursor to the predecessor when its server is deleted', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['D', 1],
    ['C', 1],
    ['B', 1],
    ['A', 1],
  ]);
  t.same(lab.picks(2), ['D', 'C'], 'head D ^C B A');
  // ip_vs_rr_del_dest: p == &C->n_list, so sched_data = p->next->prev = B->prev = D.
  lab.del('C');
  t.same(lab.picks(5), ['B', 'A', 'D', 'B', 'A'], 'the walk resumes after D');
});

t.test(
  'rr resumes from the list head when the deleted cursor server was first, so a newer server comes next',
  async (t) => {
    const lab = new Lab('rr');
    lab.addInScanOrder([
      ['C', 1],
      ['B', 1],
      ['A', 1],
    ]);
    t.same(lab.picks(1), ['C'], 'head ^C B A');
    lab.del('C'); // C->next->prev is the list head: the cursor is the head
    lab.add('D', 1); // list: head D B A
    t.same(lab.picks(4), ['D', 'B', 'A', 'D']);
  },
);

t.test('rr keeps a surviving predecessor as the cursor when servers are added later', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['D', 1],
    ['C', 1],
    ['B', 1],
    ['A', 1],
  ]);
  t.same(lab.picks(2), ['D', 'C']);
  lab.del('C'); // cursor -> D
  lab.add('E', 1); // list: head E ^D B A
  t.same(lab.picks(5), ['B', 'A', 'E', 'D', 'B']);
});

t.test('rr checks the cursor server last and leaves the cursor alone when nothing is available', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['C', 1],
    ['B', 1],
    ['A', 1],
  ]);
  t.same(lab.picks(1), ['C']);
  lab.overload('B', true);
  lab.overload('A', true);
  // head ^C B A: after C: B, A overloaded; end; 2nd pass from head: C is eligible (checked
  // before `dest == last`): HIT.
  t.same(lab.picks(2), ['C', 'C'], 'the second pass includes the cursor server itself');
  lab.overload('C', true);
  t.same(lab.picks(1), ['-'], 'no server: sched_data unchanged (still C)');
  lab.overload('C', false);
  lab.overload('A', false);
  // If the cursor had moved to the head, C would come first; it is still C, so A does.
  t.same(lab.picks(3), ['A', 'C', 'A']);
});

t.test('switching a service to rr starts from the list head', async (t) => {
  const lab = new Lab('wlc');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  lab.switchTo('rr');
  t.same(lab.picks(4), ['A', 'B', 'C', 'A']);
});

t.test('rr treats weights only as on/off', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 100],
    ['B', 1],
  ]);
  t.same(lab.picks(4), ['A', 'B', 'A', 'B']);
  lab.edit('A', 0);
  t.same(lab.picks(2), ['B', 'B']);
});

t.test('rr ignores accounting for a server that is no longer in the service', async (t) => {
  const lab = new Lab('rr');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  const a = lab.dest('A');
  lab.del('A');
  a.activeConns = 0;
  lab.sched.loadChanged(lab.svc, a); // a connection to the deleted server ended
  t.same(lab.picks(3), ['B', 'B', 'B']);
});
