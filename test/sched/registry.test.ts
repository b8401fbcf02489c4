// The registry knows every kernel scheduler by its ipvsadm name.

import t from 'tap';
import { findScheduler, schedulerNames } from '../../src/sched/registry.ts';

t.test('the registry lists the kernel schedulers in ipvs/Kconfig order', async (t) => {
  t.same(schedulerNames(), [
    'rr',
    'wrr',
    'lc',
    'wlc',
    'fo',
    'ovf',
    'lblc',
    'lblcr',
    'dh',
    'sh',
    'mh',
    'sed',
    'nq',
    'twos',
  ]);
});

t.test('every factory creates a scheduler with its own name, a fresh one each time', async (t) => {
  for (const name of schedulerNames()) {
    const f = findScheduler(name)!;
    const a = f.create(0);
    t.equal(a.name, name);
    t.not(f.create(0), a);
  }
});

t.test('an unknown scheduler name finds nothing', async (t) => {
  t.equal(findScheduler('wlcx'), undefined);
  t.equal(findScheduler(''), undefined);
});
