// Restoring the IPv6 table from its state memory (src/conn/conn-restore6.ts): a second
// ConnManager6 over the same memory is what a new tsvsd sees after attaching `<state-file>6`.
// Every check of restoreConns, made on the 128-bit words: a service, a real server or a full NAT
// local address that only shares the 32-bit fold of the old one is another one.
import t from 'tap';
import { ConnManager6, type ConnManager6Options } from '../../src/conn/conn-manager6.ts';
import { connLayout } from '../../src/conn/conn-layout.ts';
import { CONN6_COLUMNS } from '../../src/conn/conn-layout6.ts';
import { restoreConns6, type ServiceResolver6 } from '../../src/conn/conn-restore6.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_S_ESTABLISHED, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { AF_INET6, Dest, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { inet6Equal, inet6Fold, inet6Of, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { RrScheduler } from '../../src/sched/rr.ts';

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(s);
  return w;
}

/** An address with the fold of `w` but other words: word 2 and word 3 both xor 1. */
function twin(w: Inet6): Inet6 {
  return inet6Of(w[0]!, w[1]!, w[2]! ^ 1, w[3]! ^ 1);
}

const VIP = a6('2001:db8:88::5');
const RIP1 = a6('2001:db8:99::100');
const RIP2 = a6('2001:db8:99::101');
const LADDR = a6('2001:db8:99::2');
const CAP = 64;
const T0 = 1_000_000;

function service(vip: Inet6, rips: Inet6[], fwd = FWD_MASQ): Service {
  const svc = new Service(AF_INET6, IPPROTO_TCP, 0, 80, 0, 'rr', new RrScheduler(), vip);
  for (const r of rips) {
    const d = new Dest(AF_INET6, 0, 8080, r);
    d.fwd = fwd;
    d.weight = 1;
    svc.dests.push(d);
  }
  svc.sched.init(svc);
  return svc;
}

/** ServiceTable.find for these services: the identity compares all four words. */
function resolver(...svcs: Service[]): ServiceResolver6 {
  return (proto, addr6, port, fwmark) =>
    svcs.find((s) => s.protocol === proto && inet6Equal(s.addr6, addr6) && s.port === port && s.fwmark === fwmark) ??
    null;
}

function manager(memory6: ArrayBuffer, extra: ConnManager6Options = {}): ConnManager6 {
  return new ConnManager6({ capacity: CAP, memory6, startMs: T0, seed: 5, ...extra });
}

const inp = new SchedInput();

/** SYN in, SYN-ACK out, ACK in from client:cport to VIP:80: an established connection. */
function establish(m: ConnManager6, svc: Service, client: Inet6, cport: number): number {
  inp.set(IPPROTO_TCP, inet6Fold(client), cport, inet6Fold(VIP), 80, T0);
  const id = m.schedule(svc, inp, TCP_SYN, client, VIP);
  if (id < 0) throw new Error(`schedule: ${id}`);
  m.conns.onPacket(id, DIR_INPUT, TCP_SYN, T0);
  m.conns.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, T0);
  m.conns.onPacket(id, DIR_INPUT, TCP_ACK, T0);
  return id;
}

const clients = [a6('2001:db8:88::10'), a6('2001:db8:88::11'), a6('2001:db8:88::12'), a6('2001:db8:88::13')];
const mem = (): ArrayBuffer => new ArrayBuffer(connLayout(CAP, CONN6_COLUMNS).totalBytes);

t.test('a second IPv6 manager over the same memory finds every connection from both sides', async (t) => {
  const memory = mem();
  const a = manager(memory);
  clients.forEach((c, k) => establish(a, service(VIP, [RIP1, RIP2]), c, 40000 + k));
  const old = service(VIP, [RIP1, RIP2]);
  const kept = clients.map((c, k) => establish(a, old, c, 41000 + k));
  const now = service(VIP, [RIP1, RIP2]);
  const b = manager(memory);
  const st = restoreConns6(b, resolver(now), T0 + 500);
  t.same([st.kept, st.connections, st.torn, st.noService, st.noDest], [8, 8, 0, 0, 0]);
  for (const [k, id] of kept.entries()) {
    const found = b.lookupIn(IPPROTO_TCP, clients[k]!, 41000 + k, VIP, 80);
    t.equal(found, id, `client ${k}: same id`);
    t.equal(b.t6.table.state[found], TCP_S_ESTABLISHED);
    const dest = b.t6.table.dest[found]!;
    t.ok(now.dests.includes(dest), 'bound to the new Dest objects');
    t.equal(b.lookupOut(IPPROTO_TCP, dest.addr6, 8080, clients[k]!, 41000 + k), id, 'found from the real server');
    t.equal(b.t6.hopIn[found], 0, 'the next hop is resolved anew');
  }
  t.equal(now.dests[0]!.activeConns + now.dests[1]!.activeConns, 8, 'the new dests count every connection');
});

t.test('a service, a real server or a local address that only shares the fold is another one', async (t) => {
  const memory = mem();
  const fnatOpts = { localAddrs6: [LADDR] };
  const a = manager(memory, fnatOpts);
  const nat = service(VIP, [RIP1]);
  const fnat = new Service(AF_INET6, IPPROTO_TCP, 0, 81, 0, 'rr', new RrScheduler(), VIP);
  const fd = new Dest(AF_INET6, 0, 8080, RIP2);
  fd.fwd = FWD_FULLNAT;
  fd.weight = 1;
  fnat.dests.push(fd);
  fnat.sched.init(fnat);
  const n1 = establish(a, nat, clients[0]!, 40000);
  inp.set(IPPROTO_TCP, inet6Fold(clients[1]!), 40001, inet6Fold(VIP), 81, T0);
  const f1 = a.schedule(fnat, inp, TCP_SYN, clients[1]!, VIP);
  t.ok(n1 >= 0 && f1 >= 0);
  const restore = (svcs: Service[], opts: ConnManager6Options) =>
    restoreConns6(manager(memory, opts), resolver(...svcs), T0);
  const sameFnat = (): Service => {
    const s = new Service(AF_INET6, IPPROTO_TCP, 0, 81, 0, 'rr', new RrScheduler(), VIP);
    const d = new Dest(AF_INET6, 0, 8080, RIP2);
    d.fwd = FWD_FULLNAT;
    s.dests.push(d);
    return s;
  };
  // Each case restores from a copy, so the next one starts from the same entries.
  const snapshot = memory.slice(0);
  const reset = (): void => new Uint8Array(memory).set(new Uint8Array(snapshot));
  const all = restore([service(VIP, [RIP1]), sameFnat()], fnatOpts);
  t.same([all.kept, all.noService, all.noDest, all.noLocalPort], [2, 0, 0, 0], 'the same rules keep both');
  reset();
  const vipTwin = restore([service(twin(VIP), [RIP1]), sameFnat()], fnatOpts);
  t.same([vipTwin.kept, vipTwin.noService], [1, 1], 'a service at the VIP fold twin is not the service');
  reset();
  const ripTwin = restore([service(VIP, [twin(RIP1)]), sameFnat()], fnatOpts);
  t.same([ripTwin.kept, ripTwin.noDest], [1, 1], 'a real server at the fold twin is not the real server');
  reset();
  const lTwin = restore([service(VIP, [RIP1]), sameFnat()], { localAddrs6: [twin(LADDR)] });
  t.same([lTwin.kept, lTwin.noLocalPort], [1, 1], 'a local address at the fold twin is not the local address');
  reset();
  // A kill between the commit of an entry and the store of its words: the slot keeps the words
  // of its previous entry, whose folds are not the committed ones.
  const b = manager(memory, fnatOpts);
  b.t6.caddr6[(n1 << 2) + 3] = b.t6.caddr6[(n1 << 2) + 3]! ^ 0x80;
  const torn = restoreConns6(b, resolver(service(VIP, [RIP1]), sameFnat()), T0);
  t.same([torn.kept, torn.torn], [1, 1], 'words that do not fold to the committed fold are torn');
  t.equal(b.lookupIn(IPPROTO_TCP, clients[0]!, 40000, VIP, 80), -1);
});
