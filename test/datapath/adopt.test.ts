// Flow adoption behind ECMP on the in-memory I/O: two directors with the same DR rules; a flow
// starts on director A (SYN), then its next packets reach director B, which has no entry. With
// sloppy-tcp consistent, B adopts the flow when the service's scheduler is consistent (mh, sh):
// it re-picks with the same hash, so the real server is the one A picked, creates the entry in
// ESTABLISHED (the NONE --ACK--> ES row of set_tcp_state, ip_vs_proto_tcp.c, with sloppy_tcp)
// and forwards. For rr it stays a counted DROP_NOT_SYN, as tcp_conn_schedule drops it.
// Expected frames are built independently with test/helpers/frames.ts.
import t, { type Test as Tap } from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig, SloppyTcp } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, FWD_ROUTE } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_NOT_SYN } from '../../src/lib/drops.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { TCP_S_ESTABLISHED } from '../../src/conn/proto-tcp.ts';
import { buildFrame, hex, ipToU32, type FrameSpec } from '../helpers/frames.ts';
import { parseMac } from '../../src/packet/ethernet.ts';

const LVS = '02:00:00:00:99:05';
const RTR = '02:00:00:00:99:01';
const VIP = '192.168.88.5';
const RIPS = ['192.168.99.100', '192.168.99.101', '192.168.99.102', '192.168.99.103'];
const ripMac = (i: number): string => `02:00:00:00:99:${(0x64 + i).toString(16)}`;
const NOW = 1_000_000;

/** One director: one port on the segment, VIP:80 with four DR real servers under `sched`. */
function director(sched: string, sloppyTcp: SloppyTcp) {
  const io = new MemoryIo([{ name: 'eth0', mac: LVS }]);
  const cfg: EngineConfig = {
    ports: [{ name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.99.5'), 24]], gateway: 0 }],
    fullNatAddrs: [],
    connCapacity: 1024,
    sloppyTcp,
  };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: sched, flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  for (const rip of RIPS) {
    services.addDest(key, {
      af: AF_INET,
      addr: ipToU32(rip),
      port: 80,
      fwd: FWD_ROUTE,
      weight: 1,
      uThreshold: 0,
      lThreshold: 0,
    });
  }
  const engine = new Engine(io, cfg, services, { now: () => NOW });
  engine.start();
  io.sent.length = 0;
  RIPS.forEach((rip, i) => engine.xmit.neigh.learn(ipToU32(rip), 0, parseMac(ripMac(i)), 0, NOW));
  return { io, engine };
}

const flow = (cport: number, flags: string): FrameSpec => ({
  dstMac: LVS,
  srcMac: RTR,
  src: `10.1.${cport & 255}.${(cport >> 8) & 255}`,
  dst: VIP,
  proto: 'tcp',
  sport: cport,
  dport: 80,
  flags,
  seq: 1000,
  ttl: 63,
  payload: flags === 'S' ? '' : 'GET',
});

/** The real server's MAC each frame went to (or '' for none), one per injected frame. */
function sendAll(t: Tap, d: ReturnType<typeof director>, frames: FrameSpec[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    d.io.sent.length = 0;
    d.io.inject(0, buildFrame(f));
    d.io.deliver();
    const s = d.io.sent[0];
    if (s === undefined) out.push('');
    else {
      // The same IP packet (TTL - 1) in a frame from the director to a real server's MAC.
      const mac = hex(s.frame).slice(0, 12);
      const i = RIPS.findIndex((_, k) => ripMac(k).replace(/:/g, '') === mac);
      t.ok(i >= 0, `sent to a real server's MAC (${mac})`);
      t.equal(hex(s.frame), hex(buildFrame({ ...f, dstMac: ripMac(i), srcMac: LVS, ttl: 62 })));
      out.push(mac);
    }
  }
  return out;
}

const PORTS = Array.from({ length: 40 }, (_, i) => 41000 + i * 7);

for (const sched of ['mh', 'sh']) {
  t.test(`${sched}: a director adopts the flows another started and picks the same real servers`, async (t) => {
    const a = director(sched, 'consistent');
    const b = director(sched, 'consistent');
    const picked = sendAll(
      t,
      a,
      PORTS.map((p) => flow(p, 'S')),
    );
    t.ok(new Set(picked).size > 1, 'the flows spread over several real servers');
    const adopted = sendAll(
      t,
      b,
      PORTS.map((p) => flow(p, 'A')),
    );
    t.same(adopted, picked, 'director B sends each flow to the real server director A picked');
    t.equal(b.engine.conns.setup.adopted, PORTS.length);
    t.equal(b.engine.drops.counts[DROP_NOT_SYN], 0);
    const tb = b.engine.conns.table;
    const id = b.engine.conns.lookupIn(
      IPPROTO_TCP,
      ipToU32(flow(PORTS[0]!, 'A').src) | 0,
      PORTS[0]!,
      ipToU32(VIP) | 0,
      80,
    );
    t.ok(id >= 0, 'the adopted flow has an entry');
    t.equal(tb.state[id], TCP_S_ESTABLISHED, 'in ESTABLISHED, as sloppy_tcp leaves it');
    t.same(sendAll(t, b, [flow(PORTS[0]!, 'A')]), [picked[0]], 'and later packets use it');
    t.equal(b.engine.conns.setup.adopted, PORTS.length, 'without adopting again');
  });
}

t.test('rr: a non-SYN packet without an entry stays a counted drop', async (t) => {
  const b = director('rr', 'consistent');
  t.same(sendAll(t, b, [flow(41000, 'A'), flow(41001, 'PA')]), ['', '']);
  t.equal(b.engine.drops.counts[DROP_NOT_SYN], 2);
  t.equal(b.engine.conns.count, 0);
  t.equal(b.engine.conns.setup.adopted, 0);
});

t.test('sloppy-tcp off (the default): mh drops a non-SYN packet without an entry too', async (t) => {
  const b = director('mh', 'off');
  t.same(sendAll(t, b, [flow(41000, 'A')]), ['']);
  t.equal(b.engine.drops.counts[DROP_NOT_SYN], 1);
});

t.test('sloppy-tcp on: every scheduler adopts, rr included (the kernel sysctl)', async (t) => {
  const b = director('rr', 'on');
  t.not(sendAll(t, b, [flow(41000, 'A')])[0], '');
  t.equal(b.engine.conns.setup.adopted, 1);
});

t.test('a RST without an entry is never adopted', async (t) => {
  const b = director('mh', 'consistent');
  t.same(sendAll(t, b, [flow(41000, 'R'), flow(41001, 'RA')]), ['', '']);
  t.equal(b.engine.drops.counts[DROP_NOT_SYN], 2);
});
