// The IPv6 full-NAT local addresses of a ConnManager6 (local-addrs6.ts): port pools keyed by the
// addresses' folds, the 128-bit address written into the connection's laddr6, ports given back.
import t from 'tap';
import { ConnManager6 } from '../../src/conn/conn-manager6.ts';
import { LocalAddrs6 } from '../../src/conn/local-addrs6.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { DROP_PORTS_EXHAUSTED } from '../../src/lib/drops.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { formatInet6, inet6Fold, inet6Of, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { AF_INET6, Dest, FWD_FULLNAT } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { SVC_F_PERSISTENT, Service } from '../../src/model/service.ts';
import { RrScheduler } from '../../src/sched/rr.ts';

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(s);
  return w;
}

const VIP = a6('2001:db8:88::5');
const L1 = a6('2001:db8:99::250');
const L2 = a6('2001:db8:99::251');

function fullNatService(): Service {
  const svc = new Service(AF_INET6, IPPROTO_TCP, 0, 80, 0, 'rr', new RrScheduler(), VIP);
  const d = new Dest(AF_INET6, 0, 8080, a6('2001:db8:99::100'));
  d.fwd = FWD_FULLNAT;
  d.weight = 1;
  svc.dests.push(d);
  svc.sched.init(svc);
  return svc;
}

const inp = new SchedInput();

function syn(m: ConnManager6, svc: Service, client: string, cport: number, nowMs = 0): number {
  const c = a6(client);
  inp.set(IPPROTO_TCP, inet6Fold(c), cport, inet6Fold(VIP), 80, nowMs);
  const id = m.schedule(svc, inp, TCP_SYN, c, VIP);
  if (id >= 0) m.conns.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
  return id;
}

function laddr(m: ConnManager6, id: number): string {
  const k = id << 2;
  return formatInet6(m.t6.laddr6.slice(k, k + 4));
}

t.test('two local addresses whose folds collide are refused', async (t) => {
  const twin = inet6Of(L1[0]!, L1[1]!, L1[2]! ^ 7, L1[3]! ^ 7);
  t.throws(() => new LocalAddrs6([L1, twin]), { code: 'FULLNAT6_FOLD' });
  t.same(new LocalAddrs6([L1, L2]).folds(), [inet6Fold(L1), inet6Fold(L2)]);
});

t.test('a full NAT connection takes a local address and port; both found by the out lookup', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 1, localAddrs6: [L1, L2], lportMin: 5000, lportMax: 5000 });
  const svc = fullNatService();
  const a = syn(m, svc, '2001:db8:88::10', 40000);
  const b = syn(m, svc, '2001:db8:88::11', 40000);
  t.same([laddr(m, a), laddr(m, b)], ['2001:db8:99::250', '2001:db8:99::251'], 'the addresses in turn');
  t.same([m.t6.table.lport[a], m.t6.table.lport[b]], [5000, 5000]);
  const rip = a6('2001:db8:99::100');
  t.equal(m.lookupOut(IPPROTO_TCP, rip, 8080, L2, 5000), b);
  t.equal(syn(m, svc, '2001:db8:88::12', 40000), -DROP_PORTS_EXHAUSTED, 'one port per address: exhausted');
  m.conns.deleteConn(a, 0);
  const c = syn(m, svc, '2001:db8:88::12', 40000);
  t.equal(laddr(m, c), '2001:db8:99::250', "a's port given back on deletion");
});

t.test('without IPv6 local addresses a full NAT real server is ports_exhausted', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 1 });
  t.equal(syn(m, fullNatService(), '2001:db8:88::10', 40000), -DROP_PORTS_EXHAUSTED);
});

t.test('a persistent full NAT service: the template holds no port, each connection its own', async (t) => {
  const m = new ConnManager6({ capacity: 64, seed: 1, localAddrs6: [L1], lportMin: 5000, lportMax: 5001 });
  const svc = fullNatService();
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = 60;
  svc.netmask = 64;
  const a = syn(m, svc, '2001:db8:88::10', 40000);
  const b = syn(m, svc, '2001:db8:88::11', 40001);
  t.same([m.t6.table.lport[a], m.t6.table.lport[b]], [5000, 5001]);
  t.same([laddr(m, a), laddr(m, b)], ['2001:db8:99::250', '2001:db8:99::250']);
  t.equal(m.t6.table.control[a], m.t6.table.control[b], 'one template for the /64');
});
