// The IPv6 table's shards across a change of `[engine] workers` (src/daemon/state-reshard.ts with
// CONN6_SPEC): reshardWorker and replyWorker against the fanout program's IPv6 arm run by a
// classic BPF interpreter (test/helpers/cbpf.ts) on frames built by test/helpers/frames6.ts, then
// the entries of two IPv6 shards dealt to three tables and restored there (conn-restore6.ts),
// two clients whose addresses share a fold included.
import t from 'tap';
import { fanoutProgram } from '../../src/io/fanout-program.ts';
import { dealEntries, replyWorker, reshardWorker, type ReshardStats } from '../../src/daemon/state-reshard.ts';
import { connLayout } from '../../src/conn/conn-layout.ts';
import { CONN6_COLUMNS, CONN6_SPEC } from '../../src/conn/conn-layout6.ts';
import { columnsOf, placeImport } from '../../src/conn/conn-import.ts';
import { ConnManager6 } from '../../src/conn/conn-manager6.ts';
import { restoreConns6 } from '../../src/conn/conn-restore6.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { AF_INET6, Dest, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { formatInet6, inet6Equal, inet6Fold, inet6Of, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { RrScheduler } from '../../src/sched/rr.ts';
import { buildFrame6 } from '../helpers/frames6.ts';
import { fanoutMember } from '../helpers/cbpf.ts';

const VIP6 = parseInet6('2001:db8:88::5')!;
const RS6 = '2001:db8:99::100';
const LADDR6 = parseInet6('2001:db8:99::6')!;
const CAP = 256;
const T0 = 1_000_000;

/** A fixed pseudo-random sequence (an LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

const client = (rnd: () => number): Inet6 => inet6Of(0x20010db8, 0x00880000, rnd(), rnd());

t.test('reshardWorker names the member the IPv6 arm of the fanout program picks', async (t) => {
  const prog = fanoutProgram({ inAddrs: [], localAddrs: [], inAddrs6: [VIP6], localAddrs6: [LADDR6] });
  const rnd = lcg(5);
  for (const m of [1, 2, 3, 5]) {
    let bad = 0;
    for (let i = 0; i < 200; i++) {
      const c = client(rnd);
      const src = formatInet6(c);
      const cport = 1024 + (rnd() % 60000);
      const lport = 1024 + (rnd() % 60000);
      const w = reshardWorker(inet6Fold(c), cport, m);
      const inFrame = buildFrame6({ proto: 'tcp', src, dst: '2001:db8:88::5', sport: cport, dport: 80 });
      const natOut = buildFrame6({ proto: 'tcp', src: RS6, dst: src, sport: 80, dport: cport });
      const fnatOut = buildFrame6({ proto: 'tcp', src: RS6, dst: '2001:db8:99::6', sport: 80, dport: lport });
      if (fanoutMember(prog, inFrame, m) !== w || fanoutMember(prog, natOut, m) !== w) bad++;
      if (fanoutMember(prog, fnatOut, m) !== replyWorker(lport, m)) bad++;
    }
    t.equal(bad, 0, `${m} workers: 200 IPv6 flows on the members reshardWorker and replyWorker name`);
  }
});

function services(): Service[] {
  return [FWD_MASQ, FWD_FULLNAT].map((fwd, k) => {
    const svc = new Service(AF_INET6, IPPROTO_TCP, 0, 80 + k, 0, 'rr', new RrScheduler(), VIP6);
    const d = new Dest(AF_INET6, 0, 80, parseInet6(RS6)!);
    d.fwd = fwd;
    d.weight = 1;
    svc.dests.push(d);
    svc.sched.init(svc);
    return svc;
  });
}

function shard(w: number, n: number): { m: ConnManager6; mem: ArrayBuffer; svcs: Service[] } {
  const mem = new ArrayBuffer(connLayout(CAP, CONN6_COLUMNS).totalBytes);
  const m = new ConnManager6({
    capacity: CAP,
    memory6: mem,
    startMs: T0,
    localAddrs6: [LADDR6],
    lportSlot: w,
    lportSlots: n,
  });
  return { m, mem, svcs: services() };
}

const inp = new SchedInput();

t.test('two IPv6 shards dealt to three tables: every connection where its frames go, fold twins apart', async (t) => {
  const old = [shard(0, 2), shard(1, 2)];
  const rnd = lcg(9);
  const flows: { c: Inet6; cport: number; vport: number; rip: Inet6 }[] = [];
  const first = client(rnd);
  // The fold twin of the first client, same port, same service: one IN key by the folds alone.
  const twin = inet6Of(first[0]!, first[1]!, first[2]! ^ 1, first[3]! ^ 1);
  const clients = [first, twin, ...Array.from({ length: 38 }, () => client(rnd))];
  clients.forEach((c, i) => {
    const cport = i < 2 ? 40000 : 1024 + (rnd() % 60000);
    const k = i < 2 ? 0 : i % 2; // the twins: the same NAT66 service
    const vport = 80 + k;
    const o = old[reshardWorker(inet6Fold(c), cport, 2)]!;
    inp.set(IPPROTO_TCP, inet6Fold(c), cport, inet6Fold(VIP6), vport, T0);
    const id = o.m.schedule(o.svcs[k]!, inp, TCP_SYN, c, VIP6);
    if (id < 0) throw new Error(`schedule ${id}`);
    o.m.conns.onPacket(id, DIR_INPUT, TCP_SYN, T0);
    o.m.conns.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, T0);
    o.m.conns.onPacket(id, DIR_INPUT, TCP_ACK, T0);
    flows.push({ c, cport, vport, rip: parseInet6(RS6)! });
  });
  const images = old.map((o) => ({ capacity: CAP, cols: columnsOf(o.mem, CAP, CONN6_COLUMNS) }));
  const st: ReshardStats = {
    files: [],
    unreadable: [],
    connections: 0,
    templates: 0,
    dealt: [0, 0, 0],
    split: 0,
    stale: [],
  };
  const imports = dealEntries(images, 3, st, CONN6_SPEC);
  t.equal(st.connections, flows.length, 'every connection read, the fold twins as two');
  const next = [0, 1, 2].map((w) => shard(w, 3));
  let kept = 0;
  next.forEach((n, w) => {
    const t6 = n.m.t6;
    const wide = { caddr6: t6.caddr6, vaddr6: t6.vaddr6, daddr6: t6.daddr6, laddr6: t6.laddr6, svcAddr6: t6.svcAddr6 };
    t.equal(placeImport(t6.table, imports[w]!, wide), 0, `worker ${w}: every dealt entry fits`);
    const svcs = n.svcs;
    const st6 = restoreConns6(
      n.m,
      (proto, addr6, port) => svcs.find((s) => s.port === port && inet6Equal(s.addr6, addr6)) ?? null,
      T0 + 10,
    );
    t.equal(st6.torn + st6.noService + st6.noDest + st6.noLocalPort, 0, `worker ${w}: none dropped`);
    kept += st6.connections;
  });
  t.equal(kept, flows.length + st.split, 'every connection restored, a split one on both workers');
  let found = 0;
  for (const f of flows) {
    const w = reshardWorker(inet6Fold(f.c), f.cport, 3);
    const id = next[w]!.m.lookupIn(IPPROTO_TCP, f.c, f.cport, VIP6, f.vport);
    if (id >= 0 && inet6Equal(next[w]!.m.t6.daddr6.slice(id * 4, id * 4 + 4), f.rip)) found++;
  }
  t.equal(found, flows.length, "each connection is on the worker its client's frames reach, by its 128-bit tuple");
});
