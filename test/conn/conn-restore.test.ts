import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { connLayout } from '../../src/conn/conn-layout.ts';
import { restoreConns, type ServiceResolver } from '../../src/conn/conn-restore.ts';
import { FWD_FULLNAT, type Dest } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, type Service } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_S_ESTABLISHED, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

// The "file" is a plain ArrayBuffer here: a second ConnManager over the same memory is what a new
// process sees after attaching the mapping (test/daemon/state-file.test.ts maps a real file).

const VIP = '192.168.88.5';
const CAP = 64;
const T0 = 1_000_000;

function memory(): ArrayBuffer {
  return new ArrayBuffer(connLayout(CAP).totalBytes);
}

function resolver(...svcs: Service[]): ServiceResolver {
  return (proto, addr, port, fwmark) =>
    svcs.find((s) => s.protocol === proto && s.addr === addr && s.port === port && s.fwmark === fwmark) ?? null;
}

/** SYN in, SYN-ACK out, ACK in: an established connection. */
function establish(m: ConnManager, svc: Service, client: string, cport: number, now = T0): number {
  const id = m.schedule(svc, input(IPPROTO_TCP, client, cport, VIP, svc.port, now), TCP_SYN);
  if (id < 0) throw new Error(`schedule failed ${id}`);
  m.onPacket(id, DIR_INPUT, TCP_SYN, now);
  m.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, now);
  m.onPacket(id, DIR_INPUT, TCP_ACK, now);
  return id;
}

function twoDests(): { svc: Service; d1: Dest; d2: Dest } {
  const svc = makeSvc(IPPROTO_TCP, VIP, 80);
  const d1 = addDest(svc, '192.168.99.100');
  const d2 = addDest(svc, '192.168.99.200');
  return { svc, d1, d2 };
}

t.test(
  'a second table over the same memory finds every connection, with its state, timer and real server',
  async (t) => {
    const mem = memory();
    const old = twoDests();
    const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
    const ids = [1, 2, 3, 4].map((k) => establish(a, old.svc, '10.0.0.1', 1000 + k));
    const half = a.schedule(old.svc, input(IPPROTO_TCP, '10.0.0.2', 5000, VIP, 80, T0), TCP_SYN);
    a.onPacket(half, DIR_INPUT, TCP_SYN, T0);
    // The new process: its own Service and Dest objects, loaded from the same rules.
    const now = twoDests();
    const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 + 500, embryonicQuota: 8 });
    const st = restoreConns(b, resolver(now.svc), T0 + 500);
    t.same([st.kept, st.connections, st.templates, st.torn, st.noDest], [5, 5, 0, 0, 0]);
    t.equal(b.count, 5);
    for (const [k, id] of ids.entries()) {
      const found = b.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 1001 + k, ip(VIP), 80);
      t.equal(found, id, `client port ${1001 + k}: same id`);
      t.equal(b.table.state[found], TCP_S_ESTABLISHED);
      t.ok(b.table.dest[found] === now.d1 || b.table.dest[found] === now.d2, 'bound to the new Dest objects');
      const back = b.lookupOut(IPPROTO_TCP, b.table.daddr[found]!, 80, ip('10.0.0.1'), 1001 + k);
      t.equal(back, id, 'found from the real server side too');
      t.equal(b.expiry.remainingMs(found, T0 + 500), 15 * 60_000 - 500, 'its timer runs on from where it was');
    }
    t.same(
      [now.d1.activeConns, now.d1.inactConns, now.d2.activeConns, now.d2.inactConns],
      [old.d1.activeConns, old.d1.inactConns, old.d2.activeConns, old.d2.inactConns],
      "the new dests count what the old process's dests counted",
    );
    t.equal(now.d1.activeConns + now.d2.activeConns, 5, 'SYN_RECV counts as active, as in the kernel');
    t.equal(b.table.embryonic.count, 1, 'the connection still in SYN_RECV is embryonic again');
    const next = b.schedule(now.svc, input(IPPROTO_TCP, '10.0.0.3', 7000, VIP, 80, T0 + 600), TCP_SYN);
    t.ok(next >= 0 && !ids.includes(next) && next !== half, 'a new connection takes a free slot');
    b.expire(T0 + 16 * 60_000);
    t.equal(b.count, 0, 'every restored entry expires on its timer');
    t.same([now.d1.activeConns, now.d2.activeConns, now.d1.inactConns, now.d2.inactConns], [0, 0, 0, 0]);
  },
);

t.test('an entry torn by a kill in the middle of its creation is dropped, never forwarded', async (t) => {
  const mem = memory();
  const old = twoDests();
  const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  const good = establish(a, old.svc, '10.0.0.1', 1001);
  // What connNew had written when SIGKILL came: a live slot, some fields, no COMMITTED bit.
  const torn = a.table.alloc();
  a.table.protocol[torn] = IPPROTO_TCP;
  a.table.caddr[torn] = ip('10.0.0.9');
  a.table.expiresMs[torn] = T0 + 60_000;
  const now = twoDests();
  const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  const st = restoreConns(b, resolver(now.svc), T0 + 1);
  t.same([st.kept, st.torn], [1, 1]);
  t.equal(b.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 1001, ip(VIP), 80), good);
  t.equal(b.table.isLive(torn), false, 'the torn slot is free again');
  t.equal(b.count, 1);
});

t.test('connections of a real server or a service that is gone are dropped and counted', async (t) => {
  const mem = memory();
  const old = twoDests();
  const udp = makeSvc(IPPROTO_UDP, VIP, 53);
  addDest(udp, '192.168.99.100', 53);
  const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  for (let k = 0; k < 6; k++) establish(a, old.svc, '10.0.0.1', 2000 + k);
  const u = a.schedule(udp, input(IPPROTO_UDP, '10.0.0.1', 3000, VIP, 53, T0), 0);
  a.onPacket(u, DIR_INPUT, 0, T0);
  const onD2 = [0, 1, 2, 3, 4, 5].filter((k) => {
    const id = a.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 2000 + k, ip(VIP), 80);
    return a.table.daddr[id] === ip('192.168.99.200');
  }).length;
  t.ok(onD2 > 0 && onD2 < 6, 'both real servers had connections');
  // The new rules: web2 removed, the UDP service removed.
  const svc = makeSvc(IPPROTO_TCP, VIP, 80);
  const d1 = addDest(svc, '192.168.99.100');
  const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  const st = restoreConns(b, resolver(svc), T0 + 1);
  t.same([st.kept, st.noDest, st.noService], [6 - onD2, onD2, 1]);
  t.equal(d1.activeConns, 6 - onD2);
  for (let k = 0; k < 6; k++) {
    const id = b.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 2000 + k, ip(VIP), 80);
    t.ok(id < 0 || b.table.daddr[id] === ip('192.168.99.100'), 'nothing is left pointing at web2');
  }
  t.equal(b.lookupIn(IPPROTO_UDP, ip('10.0.0.1'), 3000, ip(VIP), 53), -1);
});

t.test('a real server that changed its forwarding method loses its connections', async (t) => {
  const mem = memory();
  const old = twoDests();
  const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0, localAddrs: [ip('192.168.99.6')] });
  establish(a, old.svc, '10.0.0.1', 1001);
  establish(a, old.svc, '10.0.0.1', 1002);
  const svc = makeSvc(IPPROTO_TCP, VIP, 80);
  addDest(svc, '192.168.99.100', 80, FWD_FULLNAT);
  addDest(svc, '192.168.99.200', 80, FWD_FULLNAT);
  const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0, localAddrs: [ip('192.168.99.6')] });
  t.same(restoreConns(b, resolver(svc), T0 + 1).noDest, 2);
});

t.test('entries whose timer ran out while no process ran are not restored', async (t) => {
  const mem = memory();
  const old = twoDests();
  const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  establish(a, old.svc, '10.0.0.1', 1001);
  const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 + 3_600_000 });
  const st = restoreConns(b, resolver(twoDests().svc), T0 + 3_600_000);
  t.same([st.kept, st.expired], [0, 1]);
});

t.test('full NAT local ports held by restored connections are not handed out again', async (t) => {
  const mem = memory();
  const laddr = ip('192.168.99.6');
  const fnat = (): { svc: Service } => {
    const svc = makeSvc(IPPROTO_TCP, VIP, 80);
    addDest(svc, '192.168.99.100', 80, FWD_FULLNAT);
    return { svc };
  };
  const opts = { capacity: CAP, memory: mem, localAddrs: [laddr], lportMin: 5000, lportMax: 5009 };
  const a = new ConnManager({ ...opts, startMs: T0 });
  const old = fnat();
  const held = [1, 2, 3].map((k) => a.table.lport[establish(a, old.svc, '10.0.0.1', 1000 + k)]!);
  const b = new ConnManager({ ...opts, startMs: T0 });
  const now = fnat();
  t.equal(restoreConns(b, resolver(now.svc), T0 + 1).kept, 3);
  t.equal(b.fnat!.available(), 7, '10 ports, 3 held');
  const fresh = [4, 5, 6, 7, 8, 9, 10].map((k) => b.table.lport[establish(b, now.svc, '10.0.0.1', 1000 + k)]!);
  t.same(
    fresh.filter((p) => held.includes(p)),
    [],
    'the 7 new connections got the 7 other ports',
  );
  t.equal(b.schedule(now.svc, input(IPPROTO_TCP, '10.0.0.1', 2000, VIP, 80, T0 + 2), TCP_SYN) < 0, true, 'then none');
  const id = b.lookupOut(IPPROTO_TCP, ip('192.168.99.100'), 80, laddr, held[0]!);
  t.equal(b.table.cport[id], 1001, 'the real server side of a restored full NAT connection still maps back');
});

t.test('persistence templates come back with the connections they control', async (t) => {
  const mem = memory();
  const mk = (): Service => {
    const svc = makeSvc(IPPROTO_TCP, VIP, 80);
    svc.flags |= SVC_F_PERSISTENT;
    svc.timeoutSec = 300;
    svc.netmask = 0xffffffff;
    addDest(svc, '192.168.99.100');
    addDest(svc, '192.168.99.200');
    return svc;
  };
  const a = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  const old = mk();
  const c1 = establish(a, old, '10.0.0.1', 1001);
  const c2 = establish(a, old, '10.0.0.1', 1002);
  const tpl = a.table.control[c1]!;
  const b = new ConnManager({ capacity: CAP, memory: mem, startMs: T0 });
  const svc = mk();
  const st = restoreConns(b, resolver(svc), T0 + 1);
  t.same([st.connections, st.templates], [2, 1]);
  t.equal(b.table.lookupTemplate(IPPROTO_TCP, ip('10.0.0.1'), ip(VIP), 80), tpl);
  t.same([b.table.control[c1], b.table.control[c2], b.table.nControl[tpl]], [tpl, tpl, 2]);
  const dest = b.table.dest[tpl]!;
  t.equal(dest.persistConns, 1);
  const c3 = establish(b, svc, '10.0.0.1', 1003);
  t.equal(b.table.dest[c3], dest, 'a new connection of the client sticks to the same real server');
});
