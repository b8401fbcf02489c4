import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { DEST_F_OVERLOAD, type Dest } from '../../src/model/dest.ts';
import { IPPROTO_UDP } from '../../src/lib/inet.ts';
import { addDest, input, makeSvc, sched } from './helpers.ts';

const VIP = '192.168.88.5';

/** d1 (scanned first) with the given thresholds, d2 already busy with 5 connections. */
function setup(u: number, l: number) {
  const m = new ConnManager({ capacity: 64, seed: 2 });
  const svc = makeSvc(IPPROTO_UDP, VIP, 53);
  const d2 = addDest(svc, '192.168.99.102', 53);
  const d1 = addDest(svc, '192.168.99.101', 53);
  d1.uThreshold = u;
  d1.lThreshold = l;
  d1.weight = 0;
  let port = 1000;
  const open = (): number => m.schedule(svc, input(IPPROTO_UDP, '10.0.0.1', port++, VIP, 53), 0);
  for (let i = 0; i < 5; i++) open();
  d1.weight = 1;
  return { m, svc, d1, d2, open };
}

const overloaded = (d: Dest): boolean => (d.flags & DEST_F_OVERLOAD) !== 0;

t.test('-x sets OVERLOAD at the upper threshold and the scheduler then skips the server', async (t) => {
  const { m, d1, d2, open } = setup(2, 0);
  const a = open();
  const b = open();
  t.same([m.table.dest[a], m.table.dest[b]], [d1, d1], 'least connections picks d1 (0, then 1 < 5)');
  t.ok(overloaded(d1), 'active + inactive = 2 >= u_threshold 2');
  const c = open();
  t.equal(m.table.dest[c], d2, 'd1 has fewer connections (2 < 6) but is OVERLOADed');
  m.deleteConn(a, 1);
  t.notOk(overloaded(d1), 'without -y it clears when total * 4 < u * 3 (4 < 6)');
  t.equal(m.table.dest[open()], d1);
});

t.test('without -y OVERLOAD holds until the load is below three quarters of -x', async (t) => {
  const { m, d1, open } = setup(4, 0);
  const ids = [open(), open(), open(), open()];
  t.ok(overloaded(d1));
  m.deleteConn(ids[0]!, 1);
  t.ok(overloaded(d1), '3 * 4 < 4 * 3 is false');
  m.deleteConn(ids[1]!, 1);
  t.notOk(overloaded(d1), '2 * 4 < 12');
});

t.test('with -y OVERLOAD clears only below the lower threshold', async (t) => {
  const { m, svc, d1, open } = setup(2, 1);
  const ids = [open(), open()];
  t.ok(overloaded(d1));
  m.deleteConn(ids[0]!, 1);
  t.ok(overloaded(d1), 'total 1 is not < 1');
  m.deleteConn(ids[1]!, 1);
  t.notOk(overloaded(d1), 'total 0 < 1');
  t.ok(sched(svc).loadChanges.includes('53:0/1 OVERLOAD'), 'the scheduler saw the overloaded state');
});

t.test('the scheduler hears every OVERLOAD change through loadChanged', async (t) => {
  const { m, svc, d1, open } = setup(1, 0);
  const log = sched(svc).loadChanges;
  log.length = 0;
  const a = open();
  t.equal(m.table.dest[a], d1);
  m.deleteConn(a, 1);
  t.same(log, ['53:0/1 OVERLOAD', '53:0/0']);
});

t.test('with no thresholds left, an unbind clears a stale OVERLOAD', async (t) => {
  const { m, d1, open } = setup(1, 0);
  const a = open();
  t.ok(overloaded(d1));
  d1.uThreshold = 0; // ipvsadm -e without -x
  m.deleteConn(a, 1);
  t.notOk(overloaded(d1));
});
