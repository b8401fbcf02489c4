// Full NAT over IPv6 end to end on the in-memory I/O (src/datapath/fullnat6.ts wired into
// pipeline6.ts): client -> VIP6:80 leaves as LADDR6:lport -> RIP6:8080, the real server's reply to
// LADDR6:lport comes back as VIP6:80 -> client, TCP timestamps translated as IPv4 full NAT does,
// the IPv6 full-NAT address answered by neighbour discovery, the local port given back on expiry.
// Expected frames are built independently with test/helpers/frames6.ts (node:net's address
// parser, checksums summed naively over the IPv6 pseudo-header).
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { FWD_FULLNAT } from '../../src/model/dest.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { buildFrame6, icmp6Err, nd, type Frame6Spec } from '../helpers/frames6.ts';
import { CIP6, VIP6, addService6, config6, dest6 } from '../helpers/engine-lab6.ts';
import { hex } from '../helpers/frames.ts';
import { naiveSum } from '../helpers/frame-checks.ts';

const LVS0 = '02:00:00:00:00:01';
const LVS1 = '02:00:00:00:00:02';
const CMAC = '02:00:00:00:88:10';
const WMAC = '02:00:00:00:99:64';
const RIP6 = '2001:db8:99::100';
const LADDR6 = '2001:db8:99::250';
const LPORT = 5000;
const T0 = 1_000_000;

function lab() {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const cfg = config6({
    // LADDR6 is not listed as owned: the subnet that holds it places it on eth1.
    fullNatAddrs6: [parseInet6(LADDR6)!],
    fullNatPorts: [LPORT, LPORT],
  });
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, 8080, FWD_FULLNAT)]);
  addService6(services, IPPROTO_UDP, 53, [dest6(RIP6, 53, FWD_FULLNAT)]);
  let now = T0;
  const engine = new Engine(io, cfg, services, { now: () => now });
  engine.start();
  /** Inject one frame on port, deliver, return what the director sent for it. */
  const send = (port: number, frame: Buffer): Buffer[] => {
    io.sent.length = 0;
    io.inject(port, frame);
    io.deliver();
    return io.sent.map((s) => s.frame);
  };
  return { io, engine, send, advance: (ms: number) => (now += ms), now: () => now };
}

/** The L4 checksum of an Ethernet/IPv6 frame without extension headers verifies (RFC 8200 8.1). */
function l4ChecksumOk(frame: Buffer): boolean {
  const ip = frame.subarray(14);
  const len = ip.readUInt16BE(4);
  const ps = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, len >> 8, len & 255, 0, 0, 0, ip[6]!])]);
  return naiveSum(Buffer.concat([ps, ip.subarray(40, 40 + len)]), 0, ps.length + len) === 0xffff;
}

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Linux SYN options: MSS, SACK_PERM, TS, NOP, WS. */
function synOpts(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([2, 4, 0x05, 0xa0, 4, 2, 8, 10, ...be32(tsval), ...be32(tsecr), 1, 3, 3, 7]);
}

/** The client's SYN to the VIP6 from port 40000. */
const SYN: Frame6Spec = {
  src: CIP6,
  dst: VIP6,
  srcMac: CMAC,
  dstMac: LVS0,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
};

/** The director learns the client (its NS for the VIP6) and the real server (its NS for LADDR6). */
function neighbours(send: (port: number, frame: Buffer) => Buffer[]): void {
  send(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
  send(1, nd(135, RIP6, 'ff02::1:ff00:250', LADDR6, WMAC, '33:33:ff:00:02:50'));
}

t.test('the IPv6 full-NAT address is advertised at start and answers neighbour solicitations', async (t) => {
  const { io, send } = lab();
  const unsolicited = io.sent.map((s) => hex(s.frame));
  t.ok(unsolicited.includes(hex(nd(136, LADDR6, 'ff02::1', LADDR6, LVS1, '33:33:00:00:00:01', 0xa0))), 'on eth1');
  const out = send(1, nd(135, RIP6, 'ff02::1:ff00:250', LADDR6, WMAC, '33:33:ff:00:02:50'));
  t.same(
    out.map(hex),
    [hex(nd(136, LADDR6, RIP6, LADDR6, LVS1, WMAC, 0xe0))],
    'a solicited NA from eth1, as for the VIP6',
  );
});

t.test(
  'FNAT66 TCP: both directions rewritten, timestamps translated, checksums through the pseudo-header',
  async (t) => {
    const { engine, send } = lab();
    neighbours(send);
    const C1 = 0x11111111;
    const S1 = 0x22222222;
    const syn: Frame6Spec = { ...SYN, hopLimit: 64, tcpOptions: synOpts(C1, 0) };
    const out1 = send(0, buildFrame6(syn));
    const want1 = buildFrame6({
      ...syn,
      src: LADDR6,
      sport: LPORT,
      dst: RIP6,
      dport: 8080,
      srcMac: LVS1,
      dstMac: WMAC,
      hopLimit: 63,
      tcpOptions: synOpts(T0, 0),
    });
    t.same(out1.map(hex), [hex(want1)], 'LADDR6:5000 -> RIP6:8080, TSval = the director clock');
    t.ok(l4ChecksumOk(out1[0]!), 'TCP checksum verifies');
    const synack: Frame6Spec = {
      src: RIP6,
      dst: LADDR6,
      srcMac: WMAC,
      dstMac: LVS1,
      proto: 'tcp',
      sport: 8080,
      dport: LPORT,
      flags: 'SA',
      hopLimit: 64,
      tcpOptions: synOpts(S1, T0),
    };
    const out2 = send(1, buildFrame6(synack));
    const want2 = buildFrame6({
      ...synack,
      src: VIP6,
      sport: 80,
      dst: CIP6,
      dport: 40000,
      srcMac: LVS0,
      dstMac: CMAC,
      hopLimit: 63,
      tcpOptions: synOpts(S1, C1),
    });
    t.same(out2.map(hex), [hex(want2)], 'VIP6:80 -> client:40000, TSecr = the client own TSval');
    t.ok(l4ChecksumOk(out2[0]!));
    const cm = engine.v6!.cm;
    t.equal(cm.conns.count, 1);
    t.equal(engine.drops.toRecord()['no_dest'] ?? 0, 0);
    // A segment to LADDR6 that matches no connection is not the kernel's: dropped as no_service.
    const stray = buildFrame6({ ...synack, sport: 9999 });
    t.same(send(1, stray), []);
    t.equal(engine.drops.toRecord()['no_service'], 1);
  },
);

t.test('FNAT66 UDP: the checksum follows both address and port changes', async (t) => {
  const { send } = lab();
  neighbours(send);
  const q: Frame6Spec = {
    src: CIP6,
    dst: VIP6,
    srcMac: CMAC,
    dstMac: LVS0,
    proto: 'udp',
    sport: 5353,
    dport: 53,
    payload: Buffer.from('query'),
  };
  const out = send(0, buildFrame6(q));
  const want = { ...q, src: LADDR6, sport: LPORT, dst: RIP6, srcMac: LVS1, dstMac: WMAC, hopLimit: 63 };
  t.same(out.map(hex), [hex(buildFrame6(want))]);
  t.ok(l4ChecksumOk(out[0]!));
  const r: Frame6Spec = {
    src: RIP6,
    dst: LADDR6,
    srcMac: WMAC,
    dstMac: LVS1,
    proto: 'udp',
    sport: 53,
    dport: LPORT,
    payload: Buffer.from('answer'),
  };
  const back = send(1, buildFrame6(r));
  const wantBack = { ...r, src: VIP6, dst: CIP6, dport: 5353, srcMac: LVS0, dstMac: CMAC, hopLimit: 63 };
  t.same(back.map(hex), [hex(buildFrame6(wantBack))]);
});

t.test(
  'the local port is the pool own: exhausted while held, handed out again once the connection expires',
  async (t) => {
    const { engine, send, advance } = lab();
    neighbours(send);
    const syn = (sport: number): Buffer =>
      buildFrame6({ src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', sport, dport: 80, flags: 'S' });
    t.equal(send(0, syn(40000)).length, 1);
    t.same(send(0, syn(40001)), [], 'one local port, held by the first connection');
    t.equal(engine.drops.toRecord()['ports_exhausted'], 1);
    advance(125_000); // past SYN_RECV's 60 s
    for (let i = 0; i < 10 && engine.v6!.cm.conns.count > 0; i++) engine.tick();
    t.equal(engine.v6!.cm.conns.count, 0);
    neighbours(send);
    const out = send(0, syn(40001));
    t.equal(out.length, 1);
    t.equal(out[0]!.readUInt16BE(14 + 40), LPORT, 'the released port, to the same real server');
  },
);

t.test('ICMPv6 errors of a full NAT connection are translated both ways, quoted headers included', async (t) => {
  const { send } = lab();
  neighbours(send);
  const syn = SYN;
  const fwd = send(0, buildFrame6(syn))[0]!;
  const asSent = fwd.subarray(14);
  // From the real-server side (RIP6 -> LADDR6) quoting LADDR6:5000 -> RIP6:8080 as it arrived:
  // to the client from the VIP6, quoting client:40000 -> VIP6:80. The quoted TCP checksum is
  // left as it was (as the kernel's ip_vs_nat_icmp_v6 does); the ICMPv6 checksum is redone.
  const quoteBack = buildFrame6({ ...syn, hopLimit: 63 }).subarray(14);
  asSent.copy(quoteBack, 40 + 16, 40 + 16, 40 + 18);
  const toClient = send(1, icmp6Err(RIP6, LADDR6, WMAC, LVS1, 64, Buffer.from(asSent)));
  t.same(toClient.map(hex), [hex(icmp6Err(VIP6, CIP6, LVS0, CMAC, 63, quoteBack))]);
  // From the client side (client -> VIP6) quoting a reply VIP6:80 -> client:40000: to the real
  // server from LADDR6, quoting RIP6:8080 -> LADDR6:5000.
  const reply: Frame6Spec = { src: VIP6, dst: CIP6, proto: 'tcp', sport: 80, dport: 40000, flags: 'SA', hopLimit: 63 };
  const quoted = buildFrame6(reply).subarray(14);
  const quoteIn = buildFrame6({ ...reply, src: RIP6, sport: 8080, dst: LADDR6, dport: LPORT }).subarray(14);
  quoted.copy(quoteIn, 40 + 16, 40 + 16, 40 + 18);
  const toServer = send(0, icmp6Err(CIP6, VIP6, CMAC, LVS0, 64, Buffer.from(quoted)));
  t.same(toServer.map(hex), [hex(icmp6Err(LADDR6, RIP6, LVS1, WMAC, 63, quoteIn))]);
});
