// ServiceTable against ip_vs_ctl.c: scheduler hooks in the kernel's order, the list-head
// insertion of new real servers, errno codes with ipvsadm's words (exit 255), the dest trash.
import t, { type Test } from 'tap';
import { ServiceTable } from '../../src/model/service-table.ts';
import { DEST_F_AVAILABLE, DEST_F_OVERLOAD, FWD_MASQ } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, SVC_F_SCHED2 } from '../../src/model/service.ts';
import type { DestSpec, ServiceSpec } from '../../src/model/rule-spec.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { ipToString, IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { recordingFactories } from './fixtures/recording-scheduler.ts';

const VIP = 0xc0a85805; // 192.168.88.5
const svc = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  af: 2,
  protocol: IPPROTO_TCP,
  addr: VIP,
  port: 80,
  fwmark: 0,
  schedName: 'rr',
  flags: 0,
  timeoutSec: 0,
  netmask: 0xffffffff,
  peName: '',
  ...over,
});
const rs = (last: number, over: Partial<DestSpec> = {}): DestSpec => ({
  af: 2,
  addr: (0xc0a86300 | last) >>> 0,
  port: 80,
  fwd: FWD_MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  ...over,
});

function setup(now = { ms: 1_000 }) {
  const log: string[] = [];
  const table = new ServiceTable({ findScheduler: recordingFactories(log), nowMs: () => now.ms });
  return { log, table, now };
}

function throwsIpvs(t: Test, fn: () => unknown, code: string, message: string): void {
  const e = t.throws(fn) as unknown;
  t.ok(e instanceof TsvsError, 'a TsvsError');
  if (e instanceof TsvsError) {
    t.equal(e.code, code);
    t.equal(e.message, message);
    t.equal(e.exitCode, 255);
  }
}

const order = (table: ServiceTable) => table.find(svc())!.dests.map((d) => ipToString(d.addr));

t.test('-A creates the scheduler with the service flags, then init_service; lookup finds it', async (t) => {
  const { log, table } = setup();
  const s = table.addService(svc({ flags: SVC_F_PERSISTENT, timeoutSec: 300 }));
  t.same(log, ['rr.create(flags=1)', 'rr.init(dests=)']);
  t.equal(table.lookup(IPPROTO_TCP, VIP, 80), s);
  t.equal(table.lookup(IPPROTO_UDP, VIP, 80), null);
  t.equal(table.lookup(IPPROTO_TCP, VIP, 81), null);
  t.same([s.schedName, s.flags, s.timeoutSec, s.netmask], ['rr', SVC_F_PERSISTENT, 300, 0xffffffff]);
});

t.test('-A of an existing service is EEXIST before the scheduler is even looked up', async (t) => {
  const { table } = setup();
  table.addService(svc());
  throwsIpvs(t, () => table.addService(svc({ schedName: 'nosuch' })), 'EEXIST', 'Service already exists');
});

t.test('an unknown scheduler or any persistence engine is ENOENT', async (t) => {
  const { table, log } = setup();
  throwsIpvs(
    t,
    () => table.addService(svc({ schedName: 'nosuch' })),
    'ENOENT',
    'Scheduler or persistence engine not found',
  );
  throwsIpvs(t, () => table.addService(svc({ peName: 'sip' })), 'ENOENT', 'Scheduler or persistence engine not found');
  t.same(log, [], 'nothing was created');
  t.equal(table.services().length, 0);
});

t.test('new real servers go to the head of the list (list_add_rcu), scanned newest first', async (t) => {
  const { table, log } = setup();
  table.addService(svc());
  log.length = 0;
  const a = table.addDest(svc(), rs(100));
  const b = table.addDest(svc(), rs(200, { weight: 2 }));
  const c = table.addDest(svc(), rs(150));
  t.same(order(table), ['192.168.99.150', '192.168.99.200', '192.168.99.100']);
  t.same(log, [
    'rr.addDest(192.168.99.100:80 at 0)',
    'rr.addDest(192.168.99.200:80 at 0)',
    'rr.addDest(192.168.99.150:80 at 0)',
  ]);
  t.ok(c.seq > b.seq && b.seq > a.seq, 'a higher seq is scanned earlier');
  t.same([b.weight, b.fwd, b.flags & DEST_F_AVAILABLE], [2, FWD_MASQ, DEST_F_AVAILABLE]);
});

t.test('-a checks as ip_vs_add_dest(): ESRCH, ERANGE, EEXIST, then EINVAL for non-unicast', async (t) => {
  const { table } = setup();
  throwsIpvs(t, () => table.addDest(svc(), rs(1)), 'ESRCH', 'Service not defined');
  table.addService(svc());
  throwsIpvs(t, () => table.addDest(svc(), rs(1, { weight: -1 })), 'ERANGE', 'Numerical result out of range');
  throwsIpvs(t, () => table.addDest(svc(), rs(1, { lThreshold: 5 })), 'ERANGE', 'Numerical result out of range');
  table.addDest(svc(), rs(1, { uThreshold: 10, lThreshold: 5 }));
  throwsIpvs(t, () => table.addDest(svc(), rs(1)), 'EEXIST', 'Destination already exists');
  for (const addr of [0xe0000001, 0xffffffff, 0x00000001]) {
    throwsIpvs(
      t,
      () => table.addDest(svc(), rs(0, { addr })),
      'EINVAL',
      'Invalid operation.  Possibly wrong module version, address not unicast, ...',
    );
  }
});

t.test(
  '-e updates in place and calls upd_dest; OVERLOAD is cleared only when the upper threshold is lifted',
  async (t) => {
    const { table, log } = setup();
    table.addService(svc());
    table.addDest(svc(), rs(100));
    const d = table.addDest(svc(), rs(200, { uThreshold: 10 }));
    log.length = 0;
    d.flags |= DEST_F_OVERLOAD;
    table.editDest(svc(), rs(200, { weight: 5, uThreshold: 8 }));
    t.ok(d.flags & DEST_F_OVERLOAD, 'a lower threshold keeps OVERLOAD');
    table.editDest(svc(), rs(200, { weight: 6, uThreshold: 20 }));
    t.notOk(d.flags & DEST_F_OVERLOAD, 'a higher threshold clears it');
    t.same(log, ['rr.updDest(192.168.99.200:80 w=5)', 'rr.updDest(192.168.99.200:80 w=6)']);
    t.same(order(table), ['192.168.99.200', '192.168.99.100'], 'the scan order is unchanged');
    throwsIpvs(t, () => table.editDest(svc(), rs(7)), 'ENOENT', 'No such destination');
    throwsIpvs(t, () => table.editDest(svc({ port: 81 }), rs(7)), 'ESRCH', 'Service not defined');
  },
);

t.test('-d unlinks, then del_dest is told where the dest stood', async (t) => {
  const { table, log } = setup();
  table.addService(svc());
  for (const n of [1, 2, 3]) table.addDest(svc(), rs(n));
  log.length = 0;
  const d = table.deleteDest(svc(), rs(2).addr, 80);
  t.same(log, ['rr.delDest(192.168.99.2:80 was 1)']);
  t.same(order(table), ['192.168.99.3', '192.168.99.1']);
  t.equal(d.flags & DEST_F_AVAILABLE, 0);
  throwsIpvs(t, () => table.deleteDest(svc(), rs(2).addr, 80), 'ENOENT', 'No such destination');
  throwsIpvs(t, () => table.deleteDest(svc({ protocol: IPPROTO_UDP }), rs(1).addr, 80), 'ESRCH', 'Service not defined');
});

t.test('-E rebinds the scheduler only when it changes: done, create, init with the dests in place', async (t) => {
  const { table, log } = setup();
  table.addService(svc());
  table.addDest(svc(), rs(1));
  table.addDest(svc(), rs(2));
  log.length = 0;
  const s = table.editService(svc({ flags: SVC_F_PERSISTENT, timeoutSec: 600, netmask: 0xffffff00 }));
  t.same(log, [], 'same scheduler: no hooks');
  t.same([s.flags, s.timeoutSec, s.netmask], [SVC_F_PERSISTENT, 600, 0xffffff00]);
  table.editService(svc({ schedName: 'wrr' }));
  t.same(log, ['rr.done', 'wrr.create(flags=0)', 'wrr.init(dests=192.168.99.2:80,192.168.99.1:80)']);
  t.equal(s.schedName, 'wrr');
  t.equal(s.flags, 0, '-E replaces the flags: persistence is gone');
  log.length = 0;
  table.editService(svc({ schedName: 'wrr', flags: SVC_F_SCHED2 }));
  t.same(
    log,
    ['wrr.done', 'wrr.create(flags=16)', 'wrr.init(dests=192.168.99.2:80,192.168.99.1:80)'],
    'a -b change rebinds',
  );
  throwsIpvs(t, () => table.editService(svc({ port: 81 })), 'ESRCH', 'No such service');
  throwsIpvs(
    t,
    () => table.editService(svc({ schedName: 'nosuch' })),
    'ENOENT',
    'Scheduler or persistence engine not found',
  );
});

t.test('-D calls done_service and the service disappears from lookups; -C does so for all', async (t) => {
  const { table, log } = setup();
  table.addService(svc());
  table.addService(svc({ port: 443, schedName: 'wlc' }));
  log.length = 0;
  table.deleteService(svc());
  t.same(log, ['rr.done']);
  t.equal(table.lookup(IPPROTO_TCP, VIP, 80), null);
  throwsIpvs(t, () => table.deleteService(svc()), 'ESRCH', 'No such service');
  table.clear();
  t.same(log, ['rr.done', 'wlc.done']);
  t.equal(table.services().length, 0);
  t.equal(table.lookup(IPPROTO_TCP, VIP, 443), null);
});

t.test('-Z zeroes the counters of one service and its dests, or of all', async (t) => {
  const { table } = setup();
  const a = table.addService(svc());
  const b = table.addService(svc({ port: 443 }));
  const d = table.addDest(svc(), rs(1));
  for (const x of [a, b, d]) Object.assign(x, { conns: 5, inPkts: 6, outPkts: 7, inBytes: 8, outBytes: 9 });
  d.activeConns = 3;
  t.same(table.zero(svc()), [a]);
  t.same(
    [a.conns, a.inBytes, d.conns, d.outBytes, d.activeConns, b.conns],
    [0, 0, 0, 0, 3, 5],
    'connection counts are not statistics',
  );
  throwsIpvs(t, () => table.zero(svc({ port: 8080 })), 'ESRCH', 'No such service');
  table.zero(null);
  t.equal(b.conns, 0);
});

t.test('a removed real server comes back from the trash with its counters; expired ones do not', async (t) => {
  const { table, now } = setup();
  table.addService(svc());
  const d = table.addDest(svc(), rs(1));
  d.activeConns = 2;
  d.conns = 40;
  table.deleteDest(svc(), d.addr, 80);
  const back = table.addDest(svc(), rs(1, { weight: 3 }));
  t.equal(back, d, 'the same Dest object, so live connections keep pointing at it');
  t.same([back.conns, back.weight, back.flags & DEST_F_AVAILABLE], [40, 3, DEST_F_AVAILABLE]);

  table.deleteDest(svc(), d.addr, 80);
  d.activeConns = 0;
  table.expireTrash(); // first pass: marked idle
  now.ms += 119_000;
  t.same(table.expireTrash(), [], 'not yet 120 s idle');
  now.ms += 1_000;
  t.same(table.expireTrash(), [d], 'freed after IP_VS_DEST_TRASH_PERIOD');
  t.not(table.addDest(svc(), rs(1)), d);
});

t.test('a dest of a deleted service is reused by the re-created service with zeroed counters', async (t) => {
  const { table } = setup();
  table.addService(svc());
  const d = table.addDest(svc(), rs(1));
  d.conns = 9;
  d.inactConns = 1;
  table.deleteService(svc());
  table.addService(svc());
  const back = table.addDest(svc(), rs(1));
  t.equal(back, d);
  t.equal(back.conns, 0, 'old_svc != svc: ip_vs_zero_stats()');
});

t.test('toRules lists dests oldest first, so re-adding them rebuilds the same scan order', async (t) => {
  const { table } = setup();
  table.addService(svc());
  for (const n of [5, 1, 9]) table.addDest(svc(), rs(n, { weight: n }));
  const rules = table.toRules();
  t.same(
    rules[0]!.dests.map((d) => d.weight),
    [5, 1, 9],
  );
  const copy = setup().table;
  for (const r of rules) {
    copy.addService(r.service);
    for (const d of r.dests) copy.addDest(r.service, d);
  }
  t.same(order(copy), order(table));
  t.same(order(table), ['192.168.99.9', '192.168.99.1', '192.168.99.5']);
});

t.test('every change is announced to listeners in order, and bumps the generation', async (t) => {
  const { table } = setup();
  const seen: string[] = [];
  const off = table.onChange((c) => seen.push(c.kind));
  const g0 = table.generation;
  table.addService(svc());
  table.addDest(svc(), rs(1));
  table.editDest(svc(), rs(1, { weight: 4 }));
  table.deleteDest(svc(), rs(1).addr, 80);
  table.editService(svc());
  table.zero(null);
  table.deleteService(svc());
  off();
  table.addService(svc());
  t.same(seen, ['add-service', 'add-dest', 'edit-dest', 'del-dest', 'edit-service', 'zero', 'del-service']);
  t.equal(table.generation, g0 + 7);
});

t.test(
  'the port-zero persistent service catches other ports of its address; fwmarks have their own lookup',
  async (t) => {
    const { table } = setup();
    const any = table.addService(svc({ port: 0, flags: SVC_F_PERSISTENT, timeoutSec: 300 }));
    const web = table.addService(svc({ port: 80 }));
    const fwm = table.addService(svc({ fwmark: 7, addr: 0, port: 0 }));
    t.equal(table.lookup(IPPROTO_TCP, VIP, 80), web);
    t.equal(table.lookup(IPPROTO_TCP, VIP, 22), any);
    t.equal(table.lookup(IPPROTO_UDP, VIP, 22), null, 'the catch-all is per protocol');
    t.equal(table.lookup(IPPROTO_TCP, VIP + 1, 22), null);
    t.equal(table.lookupFwmark(7), fwm);
    t.equal(table.lookupFwmark(8), null);
    table.deleteService(svc({ port: 0 }));
    t.equal(table.lookup(IPPROTO_TCP, VIP, 22), null);
  },
);

t.test('find and lookup follow a long run of changes, also from a listener in the middle of one', async (t) => {
  const { table } = setup();
  const seen: (string | null)[] = [];
  table.onChange((c) => {
    if (c.kind === 'add-service' || c.kind === 'del-service')
      seen.push(table.lookup(c.svc.protocol, c.svc.addr, c.svc.port) === null ? null : c.kind);
  });
  for (let p = 1; p <= 300; p++) table.addService(svc({ port: p }));
  const udp = table.addService(svc({ protocol: IPPROTO_UDP, port: 7 }));
  const mark = table.addService(svc({ fwmark: 7, addr: 0, port: 0 }));
  for (let p = 1; p <= 300; p += 2) table.deleteService(svc({ port: p }));
  t.same(seen.slice(0, 2), ['add-service', 'add-service'], 'a listener sees an added service in lookups');
  t.same(seen.slice(-2), [null, null], 'and a deleted one gone');
  for (let p = 1; p <= 300; p++) {
    const want = p % 2 === 0 ? table.services().find((s) => s.port === p && s.protocol === IPPROTO_TCP) : undefined;
    t.equal(table.find(svc({ port: p })), want ?? null, `find :${p}`);
    t.equal(table.lookup(IPPROTO_TCP, VIP, p), want ?? null, `lookup :${p}`);
  }
  t.equal(table.find(svc({ protocol: IPPROTO_UDP, port: 7 })), udp, 'the protocol is part of the identity');
  t.equal(table.find(svc({ port: 7 })), null);
  t.equal(table.find(svc({ fwmark: 7, addr: 1, port: 9 })), mark, 'a fwmark service is its mark, whatever the address');
  t.equal(table.find(svc({ fwmark: 7, af: 10, addr: 0, port: 0 })), null, 'and its family');
  table.addService(svc({ port: 1 }));
  t.equal(table.lookup(IPPROTO_TCP, VIP, 1)?.port, 1, 'a re-added service is found again');
  table.clear();
  t.equal(table.find(svc({ port: 2 })), null);
  t.equal(table.lookupFwmark(7), null);
  t.equal(table.services().length, 0);
});
