import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { CONN_F_INACTIVE } from '../../src/conn/conn-flags.ts';
import { IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import { addDest, input, makeSvc } from './helpers.ts';

t.test('a UDP connection stays inactive in state UDP with the 300 s timeout', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc(IPPROTO_UDP, '192.168.88.5', 53);
  const d = addDest(svc, '192.168.99.100', 53);
  const id = m.schedule(svc, input(IPPROTO_UDP, '10.0.0.1', 5353, '192.168.88.5', 53), 0);
  t.ok(id >= 0);
  t.same([connStateName(m.table, id), d.activeConns, d.inactConns], ['UDP', 0, 1]);
  for (const [dir, now] of [
    [DIR_INPUT, 10],
    [DIR_OUTPUT, 20],
    [DIR_INPUT, 30],
  ] as const) {
    m.onPacket(id, dir, 0x12, now);
    t.same([connStateName(m.table, id), m.table.timeoutMs[id], d.activeConns, d.inactConns], ['UDP', 300_000, 0, 1]);
    t.ok(m.table.flags[id]! & CONN_F_INACTIVE);
  }
  t.equal(m.expiry.remainingMs(id, 30), 300_000);
  m.timeouts.set(0, 0, 45);
  m.onPacket(id, DIR_INPUT, 0, 40);
  t.equal(m.table.timeoutMs[id], 45_000, '--set udp applies at the next packet');
  t.equal(m.expiry.remainingMs(id, 40), 45_000);
});
