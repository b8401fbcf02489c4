import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { ConnTable } from '../../src/conn/conn-table.ts';
import { CONN_F_TEMPLATE } from '../../src/conn/conn-flags.ts';
import { DROP_CONN_TABLE_FULL } from '../../src/lib/drops.ts';
import { FWD_FULLNAT } from '../../src/model/dest.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

const VIP = ip('192.168.88.5');
const RIP = ip('192.168.99.100');

/** Put an entry straight into the table (no dest), as a test double for setup. */
function put(
  tb: ConnTable,
  proto: number,
  c: number,
  cp: number,
  v: number,
  vp: number,
  d: number,
  dp: number,
  l = c,
  lp = cp,
): number {
  const id = tb.alloc();
  tb.protocol[id] = proto;
  tb.caddr[id] = c;
  tb.cport[id] = cp;
  tb.vaddr[id] = v;
  tb.vport[id] = vp;
  tb.daddr[id] = d;
  tb.dport[id] = dp;
  tb.laddr[id] = l;
  tb.lport[id] = lp;
  tb.hashIn(id);
  tb.hashOut(id);
  return id;
}

t.test('classic NAT finds the connection from both sides by the client tuple', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 7 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100', 8080);
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, '192.168.88.5', 80), TCP_SYN);
  // client -> VIP: <saddr, sport, daddr, dport> = <caddr, cport, vaddr, vport>
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 40000, VIP, 80), id);
  // real server -> client: <saddr, sport, daddr, dport> = <daddr, dport, caddr, cport>
  t.equal(m.lookupOut(IPPROTO_TCP, RIP, 8080, ip('10.0.0.1'), 40000), id);
  t.equal(m.lookupIn(IPPROTO_UDP, ip('10.0.0.1'), 40000, VIP, 80), -1, 'the protocol is part of the key');
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 40001, VIP, 80), -1);
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.2'), 40000, VIP, 80), -1);
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 40000, VIP, 81), -1);
  t.equal(m.lookupOut(IPPROTO_TCP, RIP, 80, ip('10.0.0.1'), 40000), -1);
});

t.test('full NAT finds replies by the local address and port', async (t) => {
  const m = new ConnManager({
    capacity: 64,
    seed: 7,
    localAddrs: [ip('192.168.99.1')],
    lportMin: 5000,
    lportMax: 5009,
  });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100', 80, FWD_FULLNAT);
  const a = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, '192.168.88.5', 80), TCP_SYN);
  const b = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.2', 40000, '192.168.88.5', 80), TCP_SYN);
  t.same(
    [m.table.laddr[a], m.table.lport[a], m.table.laddr[b], m.table.lport[b]],
    [ip('192.168.99.1'), 5000, ip('192.168.99.1'), 5001],
  );
  t.equal(m.lookupOut(IPPROTO_TCP, RIP, 80, ip('192.168.99.1'), 5000), a);
  t.equal(m.lookupOut(IPPROTO_TCP, RIP, 80, ip('192.168.99.1'), 5001), b);
  t.equal(
    m.lookupOut(IPPROTO_TCP, RIP, 80, ip('10.0.0.1'), 40000),
    -1,
    'the client tuple is not the reply key in full NAT',
  );
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.2'), 40000, VIP, 80), b);
});

t.test('many connections are all found and strangers are not', async (t) => {
  const tb = new ConnTable({ capacity: 60_000, seed: 3 });
  const ids: number[] = [];
  for (let i = 0; i < 60_000; i++) {
    ids.push(put(tb, IPPROTO_TCP, (0x0a000000 + (i >>> 4)) >>> 0, 1024 + (i & 15), VIP, 80, RIP + (i % 7), 80));
  }
  let inOk = 0,
    outOk = 0,
    miss = 0;
  for (let i = 0; i < 60_000; i++) {
    const c = (0x0a000000 + (i >>> 4)) >>> 0;
    if (tb.lookupIn(IPPROTO_TCP, c, 1024 + (i & 15), VIP, 80) === ids[i]) inOk++;
    if (tb.lookupOut(IPPROTO_TCP, RIP + (i % 7), 80, c, 1024 + (i & 15)) === ids[i]) outOk++;
    if (tb.lookupIn(IPPROTO_TCP, c, 1024 + 16 + (i & 15), VIP, 80) === -1) miss++;
  }
  t.same([inOk, outOk, miss], [60_000, 60_000, 60_000]);
  t.ok(tb.maxChainIn() <= 12, `chains stay short at load 60000/65536 (max ${tb.maxChainIn()})`);
});

t.test('a single-bucket table still links and unlinks correctly in the middle of chains', async (t) => {
  const tb = new ConnTable({ capacity: 2000, hashBits: 0, seed: 1 });
  const ids: number[] = [];
  for (let i = 0; i < 2000; i++) ids.push(put(tb, IPPROTO_UDP, ip('10.1.0.1'), 1000 + i, VIP, 53, RIP, 53));
  t.equal(tb.maxChainIn(), 2000);
  for (let i = 0; i < 2000; i += 2) tb.free(ids[i]!);
  let found = 0,
    gone = 0;
  for (let i = 0; i < 2000; i++) {
    const hitIn = tb.lookupIn(IPPROTO_UDP, ip('10.1.0.1'), 1000 + i, VIP, 53);
    const hitOut = tb.lookupOut(IPPROTO_UDP, RIP, 53, ip('10.1.0.1'), 1000 + i);
    if (i % 2 === 0 && hitIn === -1 && hitOut === -1) gone++;
    if (i % 2 === 1 && hitIn === ids[i] && hitOut === ids[i]) found++;
  }
  t.same([found, gone, tb.count, tb.maxChainIn()], [1000, 1000, 1000, 1000]);
  // Freed slots are reused (LIFO) and relinked at the chain head.
  const again = put(tb, IPPROTO_UDP, ip('10.1.0.1'), 1000, VIP, 53, RIP, 53);
  t.equal(again, ids[1998]);
  t.equal(tb.lookupIn(IPPROTO_UDP, ip('10.1.0.1'), 1000, VIP, 53), again);
});

t.test('templates and connections never answer for each other', async (t) => {
  const tb = new ConnTable({ capacity: 8, seed: 1 });
  const tpl = tb.alloc();
  tb.protocol[tpl] = IPPROTO_TCP;
  tb.caddr[tpl] = ip('10.0.0.1');
  tb.cport[tpl] = 0;
  tb.vaddr[tpl] = VIP;
  tb.vport[tpl] = 80;
  tb.flags[tpl] = tb.flags[tpl]! | CONN_F_TEMPLATE;
  tb.hashIn(tpl);
  const c = put(tb, IPPROTO_TCP, ip('10.0.0.1'), 0, VIP, 80, RIP, 80);
  t.equal(tb.lookupTemplate(IPPROTO_TCP, ip('10.0.0.1'), VIP, 80), tpl);
  t.equal(tb.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 0, VIP, 80), c);
  tb.free(c);
  t.equal(tb.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 0, VIP, 80), -1);
});

t.test('a full table fails creation until expiry frees slots, which are then reused', async (t) => {
  const m = new ConnManager({ capacity: 3, seed: 1 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100');
  const ids = [1, 2, 3].map((p) => m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', p, '192.168.88.5', 80), TCP_SYN));
  t.same(ids, [0, 1, 2]);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 4, '192.168.88.5', 80), TCP_SYN), -DROP_CONN_TABLE_FULL);
  for (const id of ids) m.expiry.put(id, 0); // NONE: 3 s
  t.equal(m.expire(2999), 0, 'nothing is due before 3 s');
  t.equal(m.expire(5000), 3, 'all three expire within one 1 s tick of their deadline');
  t.same([m.count, d.inactConns, d.activeConns], [0, 0, 0]);
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 4, '192.168.88.5', 80), TCP_SYN);
  t.ok(ids.includes(id), 'a freed slot is reused');
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 1, VIP, 80), -1, 'the expired tuple is gone');
});

t.test('bad table options are refused', async (t) => {
  t.throws(() => new ConnTable({ capacity: 0 }), RangeError);
  t.throws(() => new ConnTable({ capacity: 8, hashBits: 31 }), RangeError);
});
