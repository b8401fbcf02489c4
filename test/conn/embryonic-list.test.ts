// The embryonic quota (src/conn/embryonic-list.ts): a SYN flood never takes the room of
// established connections; at the quota a new SYN replaces the oldest handshake; a table full of
// established connections refuses new flows with a counted drop and evicts none of them.
import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { EmbryonicList } from '../../src/conn/embryonic-list.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { DROP_CONN_TABLE_FULL } from '../../src/lib/drops.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { addDest, input, makeSvc } from './helpers.ts';

const VIP = '192.168.88.5';

function lab(capacity: number, embryonicQuota: number) {
  const m = new ConnManager({ capacity, embryonicQuota, seed: 1 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  let n = 0;
  const syn = (): number => {
    n++;
    const id = m.schedule(svc, input(IPPROTO_TCP, `10.1.${(n >> 8) & 255}.${n & 255}`, 2000 + n, VIP, 80), TCP_SYN);
    if (id >= 0) m.onPacket(id, DIR_INPUT, TCP_SYN, 0);
    return id;
  };
  const establish = (id: number): void => {
    m.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, 0);
    m.onPacket(id, DIR_INPUT, TCP_ACK, 0);
  };
  return { m, svc, syn, establish, emb: m.table.embryonic };
}

t.test('a SYN flood fills only the quota: established connections all stay, the oldest SYNs make room', async (t) => {
  const { m, syn, establish, emb } = lab(100, 40);
  const est: number[] = [];
  for (let i = 0; i < 30; i++) {
    const id = syn();
    establish(id);
    est.push(id);
  }
  t.equal(emb.count, 0, 'an established connection has left the list');
  const flood: number[] = [];
  for (let i = 0; i < 500; i++) flood.push(syn());
  t.ok(
    flood.every((id) => id >= 0),
    'every flood SYN found room',
  );
  t.same([emb.count, m.count, emb.recycled], [40, 70, 460]);
  t.ok(
    est.every((id) => connStateName(m.table, id) === 'ESTABLISHED'),
    'no established connection was touched',
  );
  t.ok(
    flood.slice(-40).every((id) => connStateName(m.table, id) === 'SYN_RECV'),
    'the 40 newest SYNs hold the quota',
  );
  const real = syn();
  establish(real);
  t.equal(
    connStateName(m.table, real),
    'ESTABLISHED',
    "a real client's handshake in the middle of the flood completes",
  );
  t.same([emb.count, m.count], [39, 70], 'its SYN took the place of the oldest flood entry');
});

t.test('a table full of established connections refuses a new flow (conn_table_full) and evicts nothing', async (t) => {
  const { m, syn, establish, emb } = lab(10, 4);
  const est: number[] = [];
  for (let i = 0; i < 8; i++) {
    const id = syn();
    establish(id);
    est.push(id);
  }
  syn();
  syn();
  t.same([m.count, emb.count], [10, 2]);
  t.equal(syn(), -DROP_CONN_TABLE_FULL, 'full, and the embryonic entries are under their quota: refused');
  t.ok(est.every((id) => connStateName(m.table, id) === 'ESTABLISHED'));
  syn(); // refused too; the quota is not reached, so nothing is recycled
  t.equal(emb.recycled, 0);
});

t.test('the list follows states: RST, expiry and re-entering SYN_RECV; UDP is never embryonic', async (t) => {
  const { m, svc, syn, emb } = lab(16, 8);
  const a = syn();
  const b = syn();
  t.same([emb.count, emb.head, emb.tail], [2, a, b]);
  m.onPacket(a, DIR_OUTPUT, TCP_RST, 0); // the server refuses: SYN_RECV -> CLOSE
  t.equal(connStateName(m.table, a), 'CLOSE');
  t.same([emb.count, emb.head], [1, b]);
  m.onPacket(a, DIR_INPUT, TCP_SYN, 0); // CLOSE -> SYN_RECV: embryonic again, now the newest
  t.same([emb.count, emb.head, emb.tail], [2, b, a]);
  m.deleteConn(b, 0);
  t.same([emb.count, emb.head, emb.tail], [1, a, a]);
  const u = m.schedule(svc, input(IPPROTO_UDP, '10.9.9.9', 53, VIP, 80), 0);
  t.ok(u >= 0);
  t.equal(emb.isLinked(u), false);
  m.expire(10_000_000);
  t.same([m.count, emb.count, emb.head, emb.tail], [0, 0, -1, -1]);
});

t.test('quota 0 tracks nothing and allocates nothing; a quota above the capacity is refused', async (t) => {
  const { syn, emb } = lab(8, 0);
  for (let i = 0; i < 8; i++) syn();
  t.same([emb.enabled, emb.count, emb.full()], [false, 0, false]);
  t.throws(() => new EmbryonicList(8, 9), RangeError);
});
