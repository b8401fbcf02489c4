// The director end to end on the in-memory I/O: frames in -> verdicts and exact frames out.
// Expected frames are crafted independently with test/helpers/frames.ts (its own checksums).
import t from 'tap';
import { AF_INET, FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DROP_NOT_SYN, DROP_NO_SERVICE } from '../../src/lib/drops.ts';
import { buildFrame, fromHex, ipToU32, hex, type FrameSpec } from '../helpers/frames.ts';
import { verifyIpChecksum, verifyL4Checksum } from '../helpers/frame-checks.ts';
import { loadGolden6 } from '../fixtures/packets/golden6.ts';
import { CIP, CMAC, engineLab, LIP, LVS0, LVS1, RIP1, RIP2, VIP, W1MAC, W2MAC } from '../helpers/engine-lab.ts';

function lab(opts: { fullNat?: boolean; sched?: string; proto?: number } = {}) {
  const dests = [
    { ip: RIP1, mac: W1MAC, weight: 1 },
    { ip: RIP2, mac: W2MAC, weight: 2 },
  ];
  const { io, engine, services, advance } = engineLab({ ...opts, dests });
  return { io, engine, services, advance };
}

const syn: FrameSpec = {
  dstMac: LVS0,
  srcMac: CMAC,
  src: CIP,
  dst: VIP,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
  seq: 1000,
  ttl: 64,
};

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
  const synack: FrameSpec = {
    dstMac: LVS1,
    srcMac: W2MAC,
    src: RIP2,
    dst: CIP,
    proto: 'tcp',
    sport: 80,
    dport: 40000,
    flags: 'SA',
    seq: 5000,
    ack: 1001,
    ttl: 64,
  };
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
    'ffffffffffff' +
      CMAC.replace(/:/g, '') +
      '0806' +
      '0001080006040001' +
      CMAC.replace(/:/g, '') +
      'c0a8580a' +
      '000000000000' +
      'c0a85805',
    'hex',
  );
  io.inject(0, arpReq);
  io.inject(
    0,
    buildFrame({
      dstMac: LVS0,
      srcMac: CMAC,
      src: CIP,
      dst: VIP,
      proto: 'icmp',
      icmpType: 8,
      icmpId: 7,
      icmpSeq: 1,
      payload: 'ping',
      ttl: 64,
    }),
  );
  io.deliver();
  t.equal(io.sent.length, 2);
  const reply = io.sent[0]!.frame;
  t.equal(
    hex(reply),
    CMAC.replace(/:/g, '') +
      LVS0.replace(/:/g, '') +
      '0806' +
      '0001080006040002' +
      LVS0.replace(/:/g, '') +
      'c0a85805' +
      CMAC.replace(/:/g, '') +
      'c0a8580a',
  );
  const echo = io.sent[1]!.frame;
  t.equal(
    hex(echo),
    hex(
      buildFrame({
        dstMac: CMAC,
        srcMac: LVS0,
        src: VIP,
        dst: CIP,
        proto: 'icmp',
        icmpType: 0,
        icmpId: 7,
        icmpSeq: 1,
        payload: 'ping',
        ttl: 64,
      }),
    ),
  );
});

t.test('full NAT rewrites both ends and the reply to the local address comes back to the client', async (t) => {
  const { io, engine } = lab({ fullNat: true });
  io.inject(0, buildFrame(syn));
  io.deliver();
  const out = io.sent[0]!.frame;
  t.ok(verifyIpChecksum(out) && verifyL4Checksum(out));
  const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), 40000, ipToU32(VIP), 80);
  const lport = engine.conns.table.lport[id]!;
  t.equal(
    hex(out),
    hex(buildFrame({ ...syn, dstMac: W2MAC, srcMac: LVS1, src: LIP, sport: lport, dst: RIP2, ttl: 63 })),
  );
  const synack: FrameSpec = {
    dstMac: LVS1,
    srcMac: W2MAC,
    src: RIP2,
    dst: LIP,
    proto: 'tcp',
    sport: 80,
    dport: lport,
    flags: 'SA',
    seq: 9,
    ack: 1001,
    ttl: 64,
  };
  io.inject(1, buildFrame(synack));
  io.deliver();
  t.equal(
    hex(io.sent[1]!.frame),
    hex(buildFrame({ ...synack, dstMac: CMAC, srcMac: LVS0, src: VIP, sport: 80, dst: CIP, dport: 40000, ttl: 63 })),
  );
});

t.test('UDP with a zero checksum gets one computed on NAT, as IPVS does', async (t) => {
  const { io } = lab({ proto: IPPROTO_UDP });
  const dgram: FrameSpec = {
    dstMac: LVS0,
    srcMac: CMAC,
    src: CIP,
    dst: VIP,
    proto: 'udp',
    sport: 5353,
    dport: 80,
    payload: 'hello',
    udpZeroCsum: true,
    ttl: 64,
  };
  io.inject(0, buildFrame(dgram));
  io.deliver();
  const out = io.sent[0]!.frame;
  t.equal(hex(out), hex(buildFrame({ ...dgram, udpZeroCsum: false, dstMac: W2MAC, srcMac: LVS1, dst: RIP2, ttl: 63 })));
});

t.test('a service with no available server answers ICMP port unreachable from the VIP', async (t) => {
  const { io, services } = lab();
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.editDest(key, {
    af: AF_INET,
    addr: ipToU32(RIP1),
    port: 80,
    fwd: FWD_MASQ,
    weight: 0,
    uThreshold: 0,
    lThreshold: 0,
  });
  services.editDest(key, {
    af: AF_INET,
    addr: ipToU32(RIP2),
    port: 80,
    fwd: FWD_MASQ,
    weight: 0,
    uThreshold: 0,
    lThreshold: 0,
  });
  const frame = buildFrame(syn);
  io.inject(0, frame);
  io.deliver();
  t.equal(io.sent.length, 1);
  const icmp = io.sent[0]!.frame;
  const quote = frame.subarray(14);
  t.equal(
    hex(icmp),
    hex(
      buildFrame({
        dstMac: CMAC,
        srcMac: LVS0,
        src: VIP,
        dst: CIP,
        proto: 'icmp',
        icmpType: 3,
        icmpCode: 3,
        icmpRest: 0,
        payload: quote,
        ttl: 64,
        tos: 0xc0,
        id: 2,
      }),
    ),
  );
});

t.test('connections expire and counters return to zero', async (t) => {
  const { io, engine, services, advance } = lab();
  io.inject(0, buildFrame(syn));
  io.deliver();
  const svc = services.services()[0]!;
  t.equal(
    svc.dests.reduce((a, d) => a + d.activeConns + d.inactConns, 0),
    1,
  );
  advance(61_000); // SYN_RECV times out after 60 s
  engine.tick();
  engine.tick();
  t.equal(engine.conns.count, 0);
  t.equal(
    svc.dests.reduce((a, d) => a + d.activeConns + d.inactConns, 0),
    0,
  );
  engine.stop();
});

t.test('IPv6 frames, well formed or not, pass to the kernel uncounted as drops', async (t) => {
  const { io, engine } = lab();
  const cases = loadGolden6();
  const good = cases.find((c) => c.description.startsWith('IPv6 TCP SYN'))!;
  const bad = cases.find((c) => c.verdict === 'bad_ipv6_exthdr')!;
  const before = engine.pipeline.passed;
  io.inject(0, fromHex(good.input));
  io.inject(0, fromHex(bad.input));
  io.deliver();
  t.equal(io.sent.length, 0, 'no IPv6 service path: nothing is sent');
  t.equal(engine.pipeline.passed - before, 2);
  t.equal(engine.drops.total(), 0);
  t.equal(engine.conns.count, 0);
});
