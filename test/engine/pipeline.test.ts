// The director end to end on the in-memory I/O: frames in -> verdicts and exact frames out.
// Expected frames are crafted independently with test/helpers/frames.ts (its own checksums).
import t from 'tap';
import { Engine } from '../../src/engine/engine.ts';
import type { EngineConfig } from '../../src/engine/engine-config.ts';
import { MemoryIo } from '../../src/engine/memory-io.ts';
import { AF_INET, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/model/service.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { DROP_NOT_SYN, DROP_NO_SERVICE } from '../../src/drops.ts';
import { buildFrame, ipToU32, verifyIpChecksum, verifyL4Checksum, hex, type FrameSpec } from '../helpers/frames.ts';

const CMAC = '02:00:00:00:88:10';
const LVS0 = '02:00:00:00:00:01'; // lvs1 eth0 (VIP side)
const LVS1 = '02:00:00:00:00:02'; // lvs1 eth1 (DIP side)
const W1MAC = '02:00:00:00:99:64';
const W2MAC = '02:00:00:00:99:c8';
const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const RIP1 = '192.168.99.100';
const RIP2 = '192.168.99.200';
const LIP = '192.168.99.6';

function lab(opts: { fullNat?: boolean; sched?: string; proto?: number } = {}) {
  const io = new MemoryIo([{ name: 'eth0', mac: LVS0 }, { name: 'eth1', mac: LVS1 }]);
  const cfg: EngineConfig = {
    ports: [
      { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.88.0'), 24]], gateway: 0 },
      { name: 'eth1', owned: opts.fullNat ? [ipToU32(LIP)] : [], subnets: [[ipToU32('192.168.99.0'), 24]], gateway: 0 },
    ],
    fullNatAddrs: opts.fullNat ? [ipToU32(LIP)] : [],
    connCapacity: 1024,
  };
  const services = new ServiceTable();
  const proto = opts.proto ?? IPPROTO_TCP;
  const key = { af: AF_INET, protocol: proto, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: opts.sched ?? 'rr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  const fwd = opts.fullNat ? FWD_FULLNAT : FWD_MASQ;
  services.addDest(key, { af: AF_INET, addr: ipToU32(RIP1), port: 80, fwd, weight: 1, uThreshold: 0, lThreshold: 0 });
  services.addDest(key, { af: AF_INET, addr: ipToU32(RIP2), port: 80, fwd, weight: 2, uThreshold: 0, lThreshold: 0 });
  let now = 1_000_000;
  const engine = new Engine(io, cfg, services, { now: () => now });
  engine.start();
  // Pre-resolve neighbours as ARP replies would.
  for (const [ip, mac, port] of [[CIP, CMAC, 0], [RIP1, W1MAC, 1], [RIP2, W2MAC, 1]] as const) {
    engine.xmit.neigh.learn(ipToU32(ip), port, Buffer.from(mac.split(':').map((x) => parseInt(x, 16))), 0, now);
  }
  io.sent.length = 0; // forget the gratuitous ARPs
  return { io, engine, services, advance: (ms: number) => (now += ms) };
}

const syn: FrameSpec = { dstMac: LVS0, srcMac: CMAC, src: CIP, dst: VIP, proto: 'tcp', sport: 40000, dport: 80, flags: 'S', seq: 1000, ttl: 64 };

t.test('a SYN to the VIP is rewritten to the scheduled real server (TTL decremented), byte for byte', async (t) => {
  const { io, engine } = lab();
  io.inject(0, buildFrame(syn));
  io.deliver();
  t.equal(io.sent.length, 1);
  const out = io.sent[0]!;
  t.equal(out.port, 1, 'leaves on the DIP side');
  // rr over the scan order: web2 was added last, so it is the list head and picked first.
  const want = buildFrame({ ...syn, dstMac: W2MAC, srcMac: LVS1, dst: RIP2, ttl: 63 });
  t.equal(hex(out.frame), hex(want));
  t.ok(verifyIpChecksum(out.frame) && verifyL4Checksum(out.frame));
  t.equal(engine.conns.count, 1);
});

t.test('the reply from the real server is rewritten back to VIP -> client with TTL decremented', async (t) => {
  const { io } = lab();
  io.inject(0, buildFrame(syn));
  io.deliver();
  const synack: FrameSpec = { dstMac: LVS1, srcMac: W2MAC, src: RIP2, dst: CIP, proto: 'tcp', sport: 80, dport: 40000, flags: 'SA', seq: 5000, ack: 1001, ttl: 64 };
  io.inject(1, buildFrame(synack));
  io.deliver();
  const out = io.sent[1]!;
  t.equal(out.port, 0);
  t.equal(hex(out.frame), hex(buildFrame({ ...synack, dstMac: CMAC, srcMac: LVS0, src: VIP, ttl: 63 })));
});

t.test('rr alternates web2, web1 over new connections; established packets stick', async (t) => {
  const { io } = lab();
  for (let i = 0; i < 4; i++) io.inject(0, buildFrame({ ...syn, sport: 41000 + i }));
  io.inject(0, buildFrame({ ...syn, sport: 41000, flags: 'A', seq: 1001 }));
  io.deliver();
  const dsts = io.sent.map((s) => `${s.frame[30]}.${s.frame[31]}.${s.frame[32]}.${s.frame[33]}`);
  t.same(dsts, [RIP2, RIP1, RIP2, RIP1, RIP2]);
});

t.test('only a SYN creates a TCP connection; unknown ports are dropped and counted', async (t) => {
  const { io, engine } = lab();
  io.inject(0, buildFrame({ ...syn, flags: 'A' }));
  io.inject(0, buildFrame({ ...syn, dport: 81 }));
  io.deliver();
  t.equal(io.sent.length, 0);
  t.equal(engine.drops.get(DROP_NOT_SYN), 1);
  t.equal(engine.drops.get(DROP_NO_SERVICE), 1);
});

t.test('the director answers ARP for the VIP and ping to the VIP', async (t) => {
  const { io } = lab();
  const arpReq = Buffer.from(
    'ffffffffffff' + CMAC.replace(/:/g, '') + '0806' + '0001080006040001' + CMAC.replace(/:/g, '') + 'c0a8580a' + '000000000000' + 'c0a85805',
    'hex',
  );
  io.inject(0, arpReq);
  io.inject(0, buildFrame({ dstMac: LVS0, srcMac: CMAC, src: CIP, dst: VIP, proto: 'icmp', icmpType: 8, icmpId: 7, icmpSeq: 1, payload: 'ping', ttl: 64 }));
  io.deliver();
  t.equal(io.sent.length, 2);
  const reply = io.sent[0]!.frame;
  t.equal(hex(reply), CMAC.replace(/:/g, '') + LVS0.replace(/:/g, '') + '0806' + '0001080006040002' + LVS0.replace(/:/g, '') + 'c0a85805' + CMAC.replace(/:/g, '') + 'c0a8580a');
  const echo = io.sent[1]!.frame;
  t.equal(hex(echo), hex(buildFrame({ dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, proto: 'icmp', icmpType: 0, icmpId: 7, icmpSeq: 1, payload: 'ping', ttl: 64 })));
});

t.test('full NAT rewrites both ends and the reply to the local address comes back to the client', async (t) => {
  const { io, engine } = lab({ fullNat: true });
  io.inject(0, buildFrame(syn));
  io.deliver();
  const out = io.sent[0]!.frame;
  t.ok(verifyIpChecksum(out) && verifyL4Checksum(out));
  const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), 40000, ipToU32(VIP), 80);
  const lport = engine.conns.table.lport[id]!;
  t.equal(hex(out), hex(buildFrame({ ...syn, dstMac: W2MAC, srcMac: LVS1, src: LIP, sport: lport, dst: RIP2, ttl: 63 })));
  const synack: FrameSpec = { dstMac: LVS1, srcMac: W2MAC, src: RIP2, dst: LIP, proto: 'tcp', sport: 80, dport: lport, flags: 'SA', seq: 9, ack: 1001, ttl: 64 };
  io.inject(1, buildFrame(synack));
  io.deliver();
  t.equal(hex(io.sent[1]!.frame), hex(buildFrame({ ...synack, dstMac: CMAC, srcMac: LVS0, src: VIP, sport: 80, dst: CIP, dport: 40000, ttl: 63 })));
});

t.test('UDP with a zero checksum gets one computed on NAT, as IPVS does', async (t) => {
  const { io } = lab({ proto: IPPROTO_UDP });
  const dgram: FrameSpec = { dstMac: LVS0, srcMac: CMAC, src: CIP, dst: VIP, proto: 'udp', sport: 5353, dport: 80, payload: 'hello', udpZeroCsum: true, ttl: 64 };
  io.inject(0, buildFrame(dgram));
  io.deliver();
  const out = io.sent[0]!.frame;
  t.equal(hex(out), hex(buildFrame({ ...dgram, udpZeroCsum: false, dstMac: W2MAC, srcMac: LVS1, dst: RIP2, ttl: 63 })));
});

t.test('a service with no available server answers ICMP port unreachable from the VIP', async (t) => {
  const { io, services } = lab();
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.editDest(key, { af: AF_INET, addr: ipToU32(RIP1), port: 80, fwd: FWD_MASQ, weight: 0, uThreshold: 0, lThreshold: 0 });
  services.editDest(key, { af: AF_INET, addr: ipToU32(RIP2), port: 80, fwd: FWD_MASQ, weight: 0, uThreshold: 0, lThreshold: 0 });
  const frame = buildFrame(syn);
  io.inject(0, frame);
  io.deliver();
  t.equal(io.sent.length, 1);
  const icmp = io.sent[0]!.frame;
  const quote = frame.subarray(14);
  t.equal(hex(icmp), hex(buildFrame({ dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, proto: 'icmp', icmpType: 3, icmpCode: 3, icmpRest: 0, payload: quote, ttl: 64, tos: 0xc0, id: 2 })));
});

t.test('connections expire and counters return to zero', async (t) => {
  const { io, engine, services, advance } = lab();
  io.inject(0, buildFrame(syn));
  io.deliver();
  const svc = services.services()[0]!;
  t.equal(svc.dests.reduce((a, d) => a + d.activeConns + d.inactConns, 0), 1);
  advance(61_000); // SYN_RECV times out after 60 s
  engine.tick();
  engine.tick();
  t.equal(engine.conns.count, 0);
  t.equal(svc.dests.reduce((a, d) => a + d.activeConns + d.inactConns, 0), 0);
  engine.stop();
});
