import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { DEST_F_AVAILABLE, type Dest } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, type Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc, sched } from './helpers.ts';

const VIP = '192.168.88.5';

function persistent(timeoutSec = 300, port = 80, netmask = 0xffffffff): Service {
  const svc = makeSvc(IPPROTO_TCP, VIP, port);
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = timeoutSec;
  svc.netmask = netmask >>> 0;
  return svc;
}

/** Open a connection (SYN in) and return its dest. */
function open(
  m: ConnManager,
  svc: Service,
  client: string,
  cport: number,
  now: number,
  vport = svc.port,
): { id: number; dest: Dest } {
  const id = m.schedule(svc, input(IPPROTO_TCP, client, cport, VIP, vport, now), TCP_SYN);
  if (id < 0) throw new Error(`schedule failed ${id}`);
  m.onPacket(id, DIR_INPUT, TCP_SYN, now);
  return { id, dest: m.table.dest[id]! };
}

function runTo(m: ConnManager, from: number, to: number): void {
  for (let now = from; now <= to; now += 1000) m.expire(now);
}

t.test('a client sticks to one real server across connections until its template expires', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300);
  const d1 = addDest(svc, '192.168.99.100');
  const d2 = addDest(svc, '192.168.99.101'); // scanned first
  const a1 = open(m, svc, '10.0.0.1', 1001, 0);
  const b1 = open(m, svc, '10.0.0.2', 2001, 0);
  const a2 = open(m, svc, '10.0.0.1', 1002, 10_000);
  const a3 = open(m, svc, '10.0.0.1', 1003, 20_000);
  t.same([a1.dest, b1.dest, a2.dest, a3.dest], [d2, d1, d2, d2], 'lc would pick d1 for a2 and a3: the template wins');
  t.equal(sched(svc).picks, 2, 'scheduled once per client');
  t.same([d2.persistConns, d1.persistConns, d2.activeConns], [1, 1, 3]);
  const tpl = m.table.control[a3.id]!;
  t.same(
    [m.table.nControl[tpl], m.expiry.remainingMs(tpl, 20_000)],
    [3, 300_000],
    'each new connection restarts the template timer',
  );
  t.same(
    [m.table.caddr[tpl], m.table.cport[tpl], m.table.vport[tpl], m.table.daddr[tpl], m.table.dport[tpl]],
    [ip('10.0.0.1'), 0, 80, ip('192.168.99.101'), 80],
  );
  // The SYN_RECV connections die at 60..80 s; the templates at 300 s (b) and 320 s (a).
  runTo(m, 0, 319_000);
  t.same([m.count, d2.persistConns, d1.persistConns], [1, 1, 0], "only a's template is left");
  const a4 = open(m, svc, '10.0.0.1', 1004, 319_000);
  t.equal(a4.dest, d2, 'still within 300 s of its last connection');
  runTo(m, 320_000, 700_000);
  t.equal(m.count, 0);
  t.same(
    [d1.persistConns, d2.persistConns, d1.activeConns + d1.inactConns + d2.activeConns + d2.inactConns],
    [0, 0, 0],
  );
  const picks = sched(svc).picks;
  open(m, svc, '10.0.0.1', 1005, 701_000);
  t.equal(sched(svc).picks, picks + 1, 'after the template expired the client is scheduled anew');
});

t.test('a template with live connections is re-armed for 60 s instead of freed', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300);
  const d = addDest(svc, '192.168.99.100');
  const a = open(m, svc, '10.0.0.1', 1001, 0);
  const tpl = m.table.control[a.id]!;
  m.onPacket(a.id, DIR_INPUT, TCP_ACK, 0); // ESTABLISHED: 900 s
  runTo(m, 0, 301_000);
  t.ok(m.table.isLive(tpl), 'the template outlives its 300 s while it controls a connection');
  t.same(
    [m.table.timeoutMs[tpl], m.expiry.remainingMs(tpl, 301_000)],
    [60_000, 60_000],
    'fired at the 301 s tick, re-armed for 60 s',
  );
  runTo(m, 302_000, 370_000);
  t.ok(m.table.isLive(tpl), 're-armed again at 360 s');
  const b = open(m, svc, '10.0.0.1', 1002, 370_000);
  t.equal(m.table.control[b.id], tpl);
  t.equal(
    m.expiry.remainingMs(tpl, 370_000),
    60_000,
    'a new connection restarts it with its timeout, now 60 s (kernel behaviour)',
  );
  m.onPacket(a.id, DIR_INPUT, TCP_RST, 371_000); // CLOSE: 10 s
  runTo(m, 371_000, 429_000);
  t.same(
    [m.table.isLive(a.id), m.table.isLive(b.id), m.table.isLive(tpl)],
    [false, true, true],
    'a closed; b (SYN_RECV until 430 s) and the template remain',
  );
  runTo(m, 430_000, 500_000);
  t.same([m.count, d.persistConns, d.activeConns, d.inactConns], [0, 0, 0, 0]);
});

t.test('-M 255.255.255.0 makes one /24 share a real server', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300, 80, 0xffffff00);
  const d1 = addDest(svc, '192.168.99.100');
  const d2 = addDest(svc, '192.168.99.101');
  const x = open(m, svc, '10.0.0.1', 1001, 0);
  const y = open(m, svc, '10.0.0.77', 1002, 0);
  const z = open(m, svc, '10.0.1.5', 1003, 0);
  t.same([x.dest, y.dest, z.dest], [d2, d2, d1]);
  const tpl = m.table.control[y.id]!;
  t.equal(m.table.control[x.id], tpl);
  t.equal(m.table.caddr[tpl], ip('10.0.0.0'), 'the template holds the masked client address');
  t.same([m.table.caddr[y.id], m.table.cport[y.id]], [ip('10.0.0.77'), 1002], 'connections keep the real client');
});

t.test('a port-zero persistent service sends every port of a client to one server', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300, 0);
  addDest(svc, '192.168.99.100', 0);
  const d2 = addDest(svc, '192.168.99.101', 0);
  const web = open(m, svc, '10.0.0.1', 1001, 0, 80);
  const tls = open(m, svc, '10.0.0.1', 1002, 0, 443);
  t.same([web.dest, tls.dest], [d2, d2]);
  t.same([m.table.dport[web.id], m.table.dport[tls.id]], [80, 443], 'each connection keeps its own port');
  const tpl = m.table.control[web.id]!;
  t.equal(m.table.control[tls.id], tpl);
  t.same(
    [m.table.vport[tpl], m.table.dport[tpl], m.table.protocol[tpl]],
    [0, 0, IPPROTO_TCP],
    'template <proto, caddr, 0, vaddr, 0, daddr, 0>',
  );
});

t.test('a persistent fwmark service keys its template on the mark', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300, 0);
  svc.fwmark = 7;
  addDest(svc, '192.168.99.100', 0);
  const a = open(m, svc, '10.0.0.1', 1001, 0, 80);
  const b = open(m, svc, '10.0.0.1', 1002, 0, 8443);
  const tpl = m.table.control[a.id]!;
  t.equal(m.table.control[b.id], tpl);
  t.same(
    [m.table.protocol[tpl], m.table.vaddr[tpl], m.table.vport[tpl]],
    [0, 7, 0],
    'template <IPPROTO_IP, caddr, 0, fwmark, 0, ...>',
  );
  t.same([m.table.vaddr[a.id], m.table.vport[b.id]], [ip(VIP), 8443]);
});

t.test('a quiesced server keeps its persistent clients unless expire_quiescent_template is set', async (t) => {
  for (const expireQuiescentTemplate of [false, true]) {
    const m = new ConnManager({ capacity: 64, seed: 9, expireQuiescentTemplate });
    const svc = persistent(300);
    const d1 = addDest(svc, '192.168.99.100');
    const d2 = addDest(svc, '192.168.99.101');
    const a1 = open(m, svc, '10.0.0.1', 1001, 0);
    t.equal(a1.dest, d2);
    d2.weight = 0;
    const a2 = open(m, svc, '10.0.0.1', 1002, 1000);
    t.equal(a2.dest, expireQuiescentTemplate ? d1 : d2, `expire_quiescent_template=${expireQuiescentTemplate ? 1 : 0}`);
    if (expireQuiescentTemplate) {
      const old = m.table.control[a1.id]!;
      t.same(
        [m.table.vport[old], m.table.dport[old], m.table.isLive(old)],
        [0xffff, 0xffff, true],
        'the old template is invalidated, not freed',
      );
      t.same([d2.persistConns, d1.persistConns], [1, 1]);
    }
  }
});

t.test('a removed real server invalidates its templates', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300);
  const d1 = addDest(svc, '192.168.99.100');
  const d2 = addDest(svc, '192.168.99.101');
  open(m, svc, '10.0.0.1', 1001, 0);
  d2.flags &= ~DEST_F_AVAILABLE;
  svc.dests.splice(svc.dests.indexOf(d2), 1);
  t.equal(open(m, svc, '10.0.0.1', 1002, 1000).dest, d1);
});

t.test('deleting the last connection drops an unassured template and keeps an assured one', async (t) => {
  const m = new ConnManager({ capacity: 64, seed: 9 });
  const svc = persistent(300);
  addDest(svc, '192.168.99.100');
  const a = open(m, svc, '10.0.0.1', 1001, 0);
  const ta = m.table.control[a.id]!;
  const b = open(m, svc, '10.0.0.2', 1001, 0);
  const tb = m.table.control[b.id]!;
  m.onPacket(b.id, DIR_INPUT, TCP_ACK, 0); // ESTABLISHED assures b's template
  t.same([m.list(0, 'templates').map((v) => v.stateName)], [['NONE', 'ASSURED']]);
  m.deleteConn(a.id, 1);
  m.deleteConn(b.id, 1);
  t.same([m.table.isLive(ta), m.table.isLive(tb)], [false, true]);
});
