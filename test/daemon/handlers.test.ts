// ControlHandlers: each op on the table and the data plane, persistence only for what the rules
// file holds, batches applied in order with per-item results, and clear errors.
import t, { type Test } from 'tap';
import { ControlHandlers } from '../../src/daemon/handlers.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { recordingFactories } from '../model/fixtures/recording-scheduler.ts';

const SERVICE = { protocol: 6, addr: '192.168.88.5', port: 80, fwmark: 0 };
const SPEC = { ...SERVICE, sched: 'rr', flags: 0, timeout: 0, netmask: '255.255.255.255', pe: '' };
const DEST = { addr: '192.168.99.100', port: 80, fwd: 'masq', weight: 1, uThreshold: 0, lThreshold: 0 };

function setup(persistError?: Error) {
  const table = new ServiceTable({ findScheduler: recordingFactories([]) });
  const dp = new MemoryDataPlane();
  let saves = 0;
  const h = new ControlHandlers({
    table,
    dataPlane: () => dp,
    persist: async () => {
      saves++;
      if (persistError) throw new TsvsError('ERULES_WRITE', persistError.message);
    },
  });
  return { h, table, dp, saves: () => saves };
}

async function rejects(t: Test, p: Promise<unknown>, code: string, message: string): Promise<void> {
  const e = await p.catch((x: unknown) => x);
  t.ok(e instanceof TsvsError, 'a TsvsError');
  t.same([(e as TsvsError).code, (e as TsvsError).message], [code, message]);
}

t.test('set ops change the table and save; listings and zero do not save', async (t) => {
  const { h, table, saves } = setup();
  await h.handle('service.add', { service: SPEC });
  await h.handle('dest.add', { service: SERVICE, dest: DEST });
  await h.handle('dest.edit', { service: SERVICE, dest: { ...DEST, weight: 7 } });
  t.equal(saves(), 3);
  t.equal(table.services()[0]!.dests[0]!.weight, 7);
  const list = (await h.handle('list', {})) as { info: unknown; services: { dests: unknown[] }[] };
  t.same(list.info, { ipvsVersion: '1.2.1', connTableSize: 4096, tsvsVersion: '0.1.0' });
  t.equal(list.services[0]!.dests.length, 1);
  await h.handle('zero', {});
  await h.handle('conns', undefined);
  t.equal(saves(), 3);
  await h.handle('dest.del', { service: SERVICE, dest: { addr: DEST.addr, port: 80 } });
  await h.handle('service.del', { service: SERVICE });
  await h.handle('clear', undefined);
  t.equal(saves(), 6);
});

t.test('list of one service answers ESRCH "No such service" when missing', async (t) => {
  const { h } = setup();
  await rejects(t, h.handle('list', { service: SERVICE }), 'ESRCH', 'No such service');
});

t.test('timeouts.set keeps the values given as 0, as ip_vs_set_timeout() does', async (t) => {
  const { h, dp } = setup();
  await h.handle('timeouts.set', { timeouts: { tcp: 0, tcpFin: 30, udp: 0 } });
  t.same(dp.timeouts(), { tcpSec: 900, tcpFinSec: 30, udpSec: 300 });
  t.same(await h.handle('timeouts.get', undefined), { tcp: 900, tcpFin: 30, udp: 300 });
});

t.test('a batch applies in order, reports each item, goes on after failures and saves once', async (t) => {
  const { h, saves } = setup();
  const r = await h.handle('batch', {
    requests: [
      { op: 'service.add', args: { service: SPEC } },
      { op: 'service.add', args: { service: SPEC } },
      { op: 'dest.add', args: { service: SERVICE, dest: DEST } },
      { op: 'list' },
      { op: 'dest.add', args: { service: SERVICE, dest: { ...DEST, addr: '10.0.0.300' } } },
    ],
  });
  t.same(r, {
    results: [
      { ok: true },
      { ok: false, error: { code: 'EEXIST', message: 'Service already exists' } },
      { ok: true },
      { ok: false, error: { code: 'EBADREQ', message: 'invalid request: op "list" cannot be batched' } },
      { ok: false, error: { code: 'EBADREQ', message: 'invalid request: addr must be a dotted-quad IPv4 address' } },
    ],
  });
  t.equal(saves(), 1);
});

t.test('unknown ops, bad args and sync daemons are errors with stable codes', async (t) => {
  const { h } = setup();
  await rejects(t, h.handle('frobnicate', {}), 'EBADOP', 'unknown op "frobnicate"');
  await rejects(t, h.handle('service.add', [1]), 'EBADREQ', 'invalid request: args must be an object');
  await rejects(t, h.handle('service.add', {}), 'EBADREQ', 'invalid request: service must be an object');
  await rejects(
    t,
    h.handle('daemon.start', { state: 'master' }),
    'ENOENGINE',
    'connection synchronization (--start-daemon/--stop-daemon) needs the packet engine; this tsvsd runs without one',
  );
  t.same(await h.handle('daemon.list', {}), [], 'no engine, no sync daemon');
});

t.test('when saving fails the change stays applied and the reply says it was not saved', async (t) => {
  const { h, table } = setup(new Error('the change is applied but was not saved: disk full'));
  await rejects(
    t,
    h.handle('service.add', { service: SPEC }),
    'ERULES_WRITE',
    'the change is applied but was not saved: disk full',
  );
  t.equal(table.services().length, 1);
});
