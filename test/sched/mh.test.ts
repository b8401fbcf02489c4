// mh (ip_vs_mh.c): Maglev lookup table of 4093 entries, hsiphash with the kernel's fixed keys,
// weights reduced by gcd and shifted to at most 6 significant bits.

import t from 'tap';
import { Lab, ip } from './harness.ts';
import { MH_TAB_SIZE, MhScheduler, SVC_F_SCHED_MH_FALLBACK, SVC_F_SCHED_MH_PORT } from '../../src/sched/mh.ts';
import { IPPROTO_ICMP } from '../../src/lib/inet.ts';

function counts(lab: Lab): number[] {
  const m = new Map<string, number>();
  for (const d of (lab.sched as MhScheduler).lookup) m.set(lab.nameOf(d), (m.get(lab.nameOf(d)) ?? 0) + 1);
  return lab.scanOrder().map((n) => m.get(n) ?? 0);
}

const clients = Array.from({ length: 20000 }, (_, c) => ip('172.16.0.0') + c * 7);

t.test('mh fills all 4093 entries, equal weights taking turns in scan order', async (t) => {
  t.equal(MH_TAB_SIZE, 4093);
  const lab = new Lab('mh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  // Each round A, B, C claim one entry each: 4093 = 3 * 1364 + 1, the extra one goes to A.
  t.same(counts(lab), [1365, 1364, 1364]);
});

t.test('mh shares entries by weight divided by the gcd', async (t) => {
  const lab = new Lab('mh');
  lab.addInScanOrder([
    ['A', 4],
    ['B', 2],
  ]);
  // gcd 2: turns 2 and 1; 4093 = 3 * 1364 + 1: A 2 * 1364 + 1, B 1364.
  t.same(counts(lab), [2729, 1364]);
  lab.edit('A', 2);
  lab.edit('B', 1);
  t.same(counts(lab), [2729, 1364], 'the same table for weights 2/1');
});

t.test('mh shifts large weights down to 6 significant bits', async (t) => {
  const lab = new Lab('mh');
  lab.addInScanOrder([
    ['A', 65535],
    ['B', 1],
  ]);
  // rshift = fls(65535) - 6 = 10: turns 65535 >> 10 = 63 and (1 >> 10 ?: 1) = 1.
  // 64 entries per round, 4093 = 63 * 64 + 61: A 63 * 63 + 61, B 63.
  t.same(counts(lab), [4030, 63]);
  t.equal((lab.sched as MhScheduler).rshift, 10);
});

t.test('mh moves about 1/n of the clients when a server is removed, few of them from other servers', async (t) => {
  const lab = new Lab('mh');
  for (let i = 0; i < 10; i++) lab.add(`s${i}`, 1, { addr: ip('10.2.0.1') + i });
  const before = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  lab.del('s3');
  const after = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  const onS3 = before.filter((n) => n === 's3').length;
  const others = clients.length - onS3;
  const movedOthers = clients.filter((_, i) => before[i] !== 's3' && after[i] !== before[i]).length;
  t.ok(onS3 > 0.08 * clients.length && onS3 < 0.12 * clients.length, `${onS3} clients were on s3`);
  t.ok(movedOthers < 0.03 * others, `${movedOthers} of ${others} other clients moved`);
  t.equal(after.filter((n) => n === 's3' || n === '-').length, 0);
});

t.test('mh moves about 1/(n+1) of the clients to a new server', async (t) => {
  const lab = new Lab('mh');
  for (let i = 0; i < 10; i++) lab.add(`s${i}`, 1, { addr: ip('10.2.0.1') + i });
  const before = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  lab.add('new', 1, { addr: ip('10.3.0.1') });
  const after = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  const toNew = after.filter((n) => n === 'new').length;
  const elsewhere = clients.filter((_, i) => after[i] !== 'new' && after[i] !== before[i]).length;
  t.ok(toNew > 0.07 * clients.length && toNew < 0.11 * clients.length, `${toNew} clients went to the new server`);
  t.ok(elsewhere < 0.03 * clients.length, `${elsewhere} clients moved between old servers`);
});

t.test('mh keeps its table when a server is quiesced, thanks to last_weight', async (t) => {
  const lab = new Lab('mh', SVC_F_SCHED_MH_FALLBACK);
  for (let i = 0; i < 10; i++) lab.add(`s${i}`, 2, { addr: ip('10.2.0.1') + i });
  const table = (lab.sched as MhScheduler).lookup.slice();
  const before = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  lab.edit('s5', 0);
  t.ok(
    (lab.sched as MhScheduler).lookup.every((d, i) => d === table[i]),
    'the lookup table is unchanged',
  );
  const after = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  t.equal(clients.filter((_, i) => before[i] !== 's5' && after[i] !== before[i]).length, 0, 'no other client moved');
  t.equal(after.filter((n) => n === 's5' || n === '-').length, 0, "s5's clients fell back to other servers");
  lab.edit('s5', 2);
  t.same(
    clients.map((c) => lab.nameOf(lab.pickFor(c))),
    before,
  );
});

t.test('mh gives no server for an unavailable entry without mh-fallback', async (t) => {
  const lab = new Lab('mh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  const onA = clients.find((c) => lab.nameOf(lab.pickFor(c)) === 'A')!;
  lab.overload('A', true);
  t.equal(lab.pickFor(onA), null);
  lab.svc.flags |= SVC_F_SCHED_MH_FALLBACK; // read at schedule time, like the kernel
  t.equal(lab.nameOf(lab.pickFor(onA)), 'B');
});

t.test('mh-port spreads one client address over servers by port', async (t) => {
  const lab = new Lab('mh');
  for (let i = 0; i < 8; i++) lab.add(`s${i}`, 1, { addr: ip('10.2.0.1') + i });
  const c = ip('172.16.9.9');
  const byPort = new Set<string>();
  for (let p = 1024; p < 1124; p++) byPort.add(lab.nameOf(lab.pickFor(c, p)));
  t.equal(byPort.size, 1, 'without mh-port the port is ignored');
  lab.svc.flags |= SVC_F_SCHED_MH_PORT;
  byPort.clear();
  for (let p = 1024; p < 1124; p++) byPort.add(lab.nameOf(lab.pickFor(c, p)));
  t.equal(byPort.size, 8);
  lab.input.protocol = IPPROTO_ICMP;
  byPort.clear();
  for (let p = 1024; p < 1124; p++) byPort.add(lab.nameOf(lab.pickFor(c, p)));
  t.equal(byPort.size, 1, 'ICMP has no ports');
});

t.test('mh refuses a service with more servers than table entries', async (t) => {
  const lab = new Lab('rr');
  for (let i = 0; i < MH_TAB_SIZE + 1; i++) lab.add(`s${i}`, 1);
  t.throws(() => lab.switchTo('mh'), { name: 'TsvsError', code: 'EINVAL', message: 'Invalid argument' });
});

t.test('mh keeps its old table when an add takes it past the table size', async (t) => {
  const small = new MhScheduler(251);
  const lab = new Lab('mh', 0, small);
  for (let i = 0; i < 251; i++) lab.add(`s${i}`, 1);
  const table = small.lookup.slice();
  lab.add('extra', 1); // ip_vs_mh_reassign: -EINVAL, ignored by __ip_vs_update_dest
  t.ok(small.lookup.every((d, i) => d === table[i]));
  t.equal(small.lookup.filter((d) => d === lab.dest('extra')).length, 0);
});
