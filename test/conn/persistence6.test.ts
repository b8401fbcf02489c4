// Persistence for IPv6 services (conn-manager6.ts, sched-persist6.ts), the AF_INET6 arm of
// ip_vs_sched_persist: the client address cut to the service's prefix length picks the template.
import t from 'tap';
import { ConnManager6 } from '../../src/conn/conn-manager6.ts';
import { CONN_F_TEMPLATE } from '../../src/conn/conn-flags.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { prefix6 } from '../../src/conn/sched-persist6.ts';
import { AF_INET6, Dest, FWD_MASQ } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { SVC_F_PERSISTENT, Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { formatInet6, inet6Fold, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { RrScheduler } from '../../src/sched/rr.ts';

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(s);
  return w;
}

const VIP = a6('2001:db8:88::5');

function service(prefixLen: number, port = 80, fwmark = 0): Service {
  const svc = new Service(
    AF_INET6,
    fwmark === 0 ? IPPROTO_TCP : 0,
    0,
    fwmark === 0 ? port : 0,
    fwmark,
    'rr',
    new RrScheduler(),
    fwmark === 0 ? VIP : undefined,
  );
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = 360;
  svc.netmask = prefixLen;
  for (const r of ['2001:db8:99::100', '2001:db8:99::101', '2001:db8:99::102']) {
    const d = new Dest(AF_INET6, 0, 8080, a6(r));
    d.fwd = FWD_MASQ;
    d.weight = 1;
    svc.dests.push(d);
  }
  svc.sched.init(svc);
  return svc;
}

const inp = new SchedInput();

/** A SYN of client:cport -> VIP:vport; returns the connection id. */
function open(m: ConnManager6, svc: Service, client: string, cport: number, nowMs: number, vport = 80): number {
  const c = a6(client);
  inp.set(IPPROTO_TCP, inet6Fold(c), cport, inet6Fold(VIP), vport, nowMs);
  const id = m.schedule(svc, inp, TCP_SYN, c, VIP);
  if (id < 0) throw new Error(`schedule: ${id}`);
  m.conns.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
  return id;
}

function rip(m: ConnManager6, id: number): string {
  return formatInet6(m.addrsOf({ id } as never).daddr6);
}

t.test('prefix6 keeps the first len bits (ipv6_addr_prefix)', async (t) => {
  const out = new Uint32Array(4);
  const a = a6('2001:db8:88:1:aaaa:bbbb:cccc:dddd');
  const cases: [number, string][] = [
    [128, '2001:db8:88:1:aaaa:bbbb:cccc:dddd'],
    [64, '2001:db8:88:1::'],
    [56, '2001:db8:88::'],
    [65, '2001:db8:88:1:8000::'],
    [0, '::'],
  ];
  for (const [len, want] of cases) {
    prefix6(a, len, out);
    t.equal(formatInet6(out), want, `/${len}`);
  }
});

t.test('-M 64: clients of one /64 share a real server, another /64 is scheduled round robin', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 3 });
  const svc = service(64);
  const a = open(m, svc, '2001:db8:88:1::10', 40000, 0);
  const b = open(m, svc, '2001:db8:88:2::10', 40000, 0);
  const c = open(m, svc, '2001:db8:88:3::10', 40000, 0);
  t.same(
    [rip(m, a), rip(m, b), rip(m, c)],
    ['2001:db8:99::100', '2001:db8:99::101', '2001:db8:99::102'],
    'three prefixes: rr walks the three servers',
  );
  const a2 = open(m, svc, '2001:db8:88:1::99', 40001, 1000);
  const a3 = open(m, svc, '2001:db8:88:1:ffff::1', 50000, 2000);
  t.same([rip(m, a2), rip(m, a3)], ['2001:db8:99::100', '2001:db8:99::100'], 'same /64: same server as the first');
  const d = open(m, svc, '2001:db8:88:4::10', 40000, 3000);
  t.equal(rip(m, d), '2001:db8:99::100', 'a fourth prefix: rr goes on from its cursor, not from the template');
  const tpl = m.t6.table.control[a3]!;
  t.equal(tpl, m.t6.table.control[a]!, 'one template controls the /64');
  t.ok((m.t6.table.flags[tpl]! & CONN_F_TEMPLATE) !== 0);
  const k = tpl << 2;
  t.equal(formatInet6(m.t6.caddr6.slice(k, k + 4)), '2001:db8:88:1::', 'the template holds the masked client');
  t.same([m.t6.table.cport[tpl], m.t6.table.vport[tpl], m.t6.table.dport[tpl]], [0, 80, 8080]);
  t.equal(m.t6.table.nControl[tpl], 3);
  t.equal(m.conns.expiry.remainingMs(tpl, 2000), 360_000, 'the persistence timeout, restarted by each connection');
});

t.test('the default prefix length 128 keeps each client apart', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 3 });
  const svc = service(128);
  const a = open(m, svc, '2001:db8:88:1::10', 40000, 0);
  const b = open(m, svc, '2001:db8:88:1::11', 40000, 0);
  const a2 = open(m, svc, '2001:db8:88:1::10', 40001, 0);
  t.not(rip(m, a), rip(m, b));
  t.equal(rip(m, a2), rip(m, a));
});

t.test('the template expires after the persistence timeout, then the client is scheduled anew', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 3 });
  const svc = service(64);
  const a = open(m, svc, '2001:db8:88:1::10', 40000, 0);
  t.equal(rip(m, a), '2001:db8:99::100');
  open(m, svc, '2001:db8:88:2::10', 40000, 0); // moves rr's cursor on
  for (let now = 0; now <= 500_000; now += 1000) m.conns.expire(now);
  t.equal(m.conns.count, 0, 'connections and templates gone');
  const a2 = open(m, svc, '2001:db8:88:1::10', 40001, 501_000);
  t.equal(rip(m, a2), '2001:db8:99::102', 'rr decides again');
});

t.test('a port-zero service keys the template by vport 0, so every port of the VIP sticks', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 3 });
  const svc = service(64, 0);
  const a = open(m, svc, '2001:db8:88:1::10', 40000, 0, 443);
  open(m, svc, '2001:db8:88:2::10', 40000, 0, 443);
  const a2 = open(m, svc, '2001:db8:88:1::10', 40001, 0, 25);
  t.equal(rip(m, a2), rip(m, a));
  const tpl = m.t6.table.control[a2]!;
  t.same([m.t6.table.vport[tpl], m.t6.table.dport[tpl], m.t6.table.dport[a2]], [0, 0, 25]);
});

t.test('a fwmark service keys the template by proto 0 and the mark in the first address word', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 3 });
  const svc = service(64, 0, 7);
  const a = open(m, svc, '2001:db8:88:1::10', 40000, 0, 443);
  const a2 = open(m, svc, '2001:db8:88:1::10', 40001, 0, 80);
  t.equal(rip(m, a2), rip(m, a));
  const tpl = m.t6.table.control[a]!;
  const k = tpl << 2;
  t.same([m.t6.table.protocol[tpl], formatInet6(m.t6.vaddr6.slice(k, k + 4))], [0, '0:7::']);
  t.equal(m.t6.lookupTemplate(0, a6('2001:db8:88:1::'), a6('0:7::'), 0), tpl);
});
