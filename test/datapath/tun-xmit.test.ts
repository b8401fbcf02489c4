// LVS-TUN on the in-memory I/O: ip_vs_tunnel_xmit() wraps the client's packet (TTL decremented by
// __ip_vs_get_out_rt()) in an outer IPv4 header from the DIP to the real server, protocol 4, TOS,
// DF and TTL copied from the inner header, id 0 with DF (ip_select_ident()); with --tun-type gue
// in UDP + GUE (ipvs_gue_encap()), checksummed or not; over the MTU with DF it answers ICMP
// fragmentation-needed with the MTU less the tunnel headers; without DF the outer packet is
// fragmented (ip_do_fragment()). The real servers sit on another network, behind the router.
// Expected frames are built independently with test/helpers/frames.ts (its own naive checksums).
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import {
  AF_INET,
  AF_INET6,
  FWD_TUNNEL,
  TUN_F_CSUM,
  TUN_F_NOCSUM,
  TUN_TYPE_GUE,
  TUN_TYPE_IPIP,
} from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../../src/lib/drops.ts';
import { inet6Fold, parseInet6 } from '../../src/lib/inet6.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { buildFrame, hex, ipToU32, type FrameSpec } from '../helpers/frames.ts';
import { verifyIpChecksum, verifyL4Checksum } from '../helpers/frame-checks.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { RXF_CSUM_PARTIAL, RXF_GSO } from '../../src/packet/rx-flags.ts';

const LVS = '02:00:00:00:99:05';
const RTR = '02:00:00:00:99:01'; // 192.168.99.1: the clients' router and the real servers' gateway
const VIP = '192.168.88.5';
const DIP = '192.168.99.5';
const RIP = '10.0.77.100'; // a routed network, not the director's segment
const CIP = '192.168.88.10';

interface TunSpec {
  tunType: number;
  tunPort: number;
  tunFlags: number;
  /** Another real server than RIP (an IPv6 one: af, addr, addr6). */
  af?: number;
  addr?: number;
  addr6?: Uint32Array;
}

function tunLab(tun: TunSpec, mtu = 1500) {
  const io = new MemoryIo([{ name: 'eth0', mac: LVS, mtu }]);
  const cfg: EngineConfig = {
    ports: [{ name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32(DIP), 24]], gateway: ipToU32('192.168.99.1') }],
    fullNatAddrs: [],
    connCapacity: 1024,
  };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: 'rr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  services.addDest(key, {
    af: AF_INET,
    addr: ipToU32(RIP),
    port: 80,
    fwd: FWD_TUNNEL,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    ...tun,
  });
  const nowMs = 1_000_000;
  const engine = new Engine(io, cfg, services, { now: () => nowMs });
  engine.start();
  io.sent.length = 0; // the gratuitous ARP for the VIP
  engine.xmit.neigh.learn(ipToU32('192.168.99.1'), 0, parseMac(RTR), 0, nowMs);
  return { io, engine };
}

const IPIP = { tunType: TUN_TYPE_IPIP, tunPort: 0, tunFlags: TUN_F_NOCSUM };

const syn: FrameSpec = {
  dstMac: LVS,
  srcMac: RTR,
  src: CIP,
  dst: VIP,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
  seq: 1000,
  ttl: 63,
  tos: 0x10,
  df: true,
  payload: 'tun',
};

/** The inner IP packet the real server must get: the client's, TTL one less. */
function innerIp(spec: FrameSpec): Buffer {
  return buildFrame({ ...spec, ttl: (spec.ttl ?? 64) - 1 }).subarray(14);
}

t.test('IPIP: the client packet inside an outer header DIP -> RIP, protocol 4, TOS, DF and TTL copied', async (t) => {
  const { io, engine } = tunLab(IPIP);
  io.inject(0, buildFrame(syn));
  io.deliver();
  t.equal(io.sent.length, 1);
  const s = io.sent[0]!;
  const want = buildFrame({
    dstMac: RTR,
    srcMac: LVS,
    src: DIP,
    dst: RIP,
    proto: 4,
    rawL4: innerIp(syn),
    tos: 0x10,
    df: true,
    id: 0,
    ttl: 62,
  });
  t.equal(hex(s.frame), hex(want), 'outer header then the inner packet, to the router (the next hop)');
  t.ok(verifyIpChecksum(s.frame));
  t.equal(engine.pipeline.forwardedIn, 1);
});

t.test('IPIP without DF: DF clear outside too, and an IP id from the counter', async (t) => {
  const { io } = tunLab(IPIP);
  const p = { ...syn, df: false };
  io.inject(0, buildFrame(p));
  io.inject(0, buildFrame({ ...p, flags: 'A', seq: 1001 }));
  io.deliver();
  t.equal(io.sent.length, 2);
  const ids = io.sent.map((s) => s.frame.readUInt16BE(18));
  t.not(ids[0], ids[1], 'each packet its own id');
  io.sent.forEach((s, i) => {
    const inner = innerIp(i === 0 ? p : { ...p, flags: 'A', seq: 1001 });
    const want = buildFrame({
      dstMac: RTR,
      srcMac: LVS,
      src: DIP,
      dst: RIP,
      proto: 4,
      rawL4: inner,
      tos: 0x10,
      id: ids[i]!,
      ttl: 62,
    });
    t.equal(hex(s.frame), hex(want));
  });
});

/** GUE header (struct guehdr): version 0, hlen 0, proto_ctype 4 (IPIP), flags 0. */
const GUE_HDR = Buffer.from([0, 4, 0, 0]);

for (const [name, flags] of [
  ['without checksum (--tun-nocsum)', TUN_F_NOCSUM],
  ['with a UDP checksum (--tun-csum)', TUN_F_CSUM],
] as const) {
  t.test(`GUE ${name}: outer IPv4 + UDP to --tun-port + GUE + the inner packet`, async (t) => {
    const { io } = tunLab({ tunType: TUN_TYPE_GUE, tunPort: 6080, tunFlags: flags });
    io.inject(0, buildFrame(syn));
    io.inject(0, buildFrame({ ...syn, flags: 'A', seq: 1001 }));
    io.inject(0, buildFrame({ ...syn, sport: 40001 }));
    io.deliver();
    t.equal(io.sent.length, 3);
    const sports = io.sent.map((s) => s.frame.readUInt16BE(34));
    // udp_flow_src_port(): a flow hash over the local port range 32768-60999, stable per flow.
    for (const p of sports) t.ok(p >= 32768 && p < 60999, `source port ${p} in the local port range`);
    t.equal(sports[0], sports[1], 'one flow, one source port');
    const s = io.sent[0]!;
    const want = buildFrame({
      dstMac: RTR,
      srcMac: LVS,
      src: DIP,
      dst: RIP,
      proto: 'udp',
      sport: sports[0]!,
      dport: 6080,
      payload: Buffer.concat([GUE_HDR, innerIp(syn)]),
      udpZeroCsum: flags === TUN_F_NOCSUM,
      tos: 0x10,
      df: true,
      id: 0,
      ttl: 62,
    });
    t.equal(hex(s.frame), hex(want));
    t.ok(verifyIpChecksum(s.frame));
    if (flags === TUN_F_CSUM) t.ok(verifyL4Checksum(s.frame), 'the UDP checksum covers GUE and the inner packet');
  });
}

t.test('DF and too big for the tunnel: ICMP fragmentation needed back to the client, MTU less 20', async (t) => {
  const { io, engine } = tunLab(IPIP);
  // 1490 bytes of IP: fits the 1500 MTU alone, not with the 20-byte outer header.
  const big = { ...syn, flags: 'PA', seq: 1001, payload: Buffer.alloc(1490 - 40, 0x61) };
  io.inject(0, buildFrame(syn));
  io.deliver();
  io.sent.length = 0;
  io.inject(0, buildFrame(big));
  io.deliver();
  t.equal(io.sent.length, 1, 'only the ICMP error leaves');
  const s = io.sent[0]!;
  const quote = innerIp(big).subarray(0, 576 - 28); // icmp_send() quotes up to 576 bytes in all
  const want = buildFrame({
    dstMac: RTR,
    srcMac: LVS,
    src: VIP,
    dst: CIP,
    proto: 'icmp',
    icmpType: 3,
    icmpCode: 4,
    icmpRest: 1480,
    payload: quote,
    tos: 0xc0 | 0x10,
    id: s.frame.readUInt16BE(18),
    ttl: 64,
  });
  t.equal(hex(s.frame), hex(want), 'from the VIP, next-hop MTU 1480, the packet quoted');
  t.equal(engine.drops.counts[DROP_FRAG_NEEDED], 1, 'counted as frag_needed');

  const { io: io2 } = tunLab({ tunType: TUN_TYPE_GUE, tunPort: 6080, tunFlags: TUN_F_NOCSUM });
  io2.inject(0, buildFrame(syn));
  io2.deliver();
  io2.sent.length = 0;
  io2.inject(0, buildFrame(big));
  io2.deliver();
  t.equal(io2.sent[0]!.frame.readUInt32BE(14 + 20 + 4), 1500 - 32, 'GUE leaves MTU less 32 (IP, UDP, GUE)');
});

t.test('no DF and too big: the outer packet leaves in fragments, as ip_fragment() cuts it', async (t) => {
  const { io } = tunLab(IPIP);
  const big = { ...syn, df: false, flags: 'PA', seq: 1001, payload: Buffer.alloc(1490 - 40, 0x62) };
  io.inject(0, buildFrame({ ...syn, df: false }));
  io.deliver();
  io.sent.length = 0;
  io.inject(0, buildFrame(big));
  io.deliver();
  t.equal(io.sent.length, 2);
  const outerPayload = innerIp(big); // 1490 bytes after the outer header
  const [a, b] = [io.sent[1]!.frame, io.sent[0]!.frame]; // the later fragment is queued first
  const id = a.readUInt16BE(18);
  t.equal(b.readUInt16BE(18), id, 'one id for both fragments');
  const first = buildFrame({
    dstMac: RTR,
    srcMac: LVS,
    src: DIP,
    dst: RIP,
    proto: 4,
    rawL4: outerPayload.subarray(0, 1480),
    tos: 0x10,
    id,
    mf: true,
    ttl: 62,
    totLenOverride: 1500,
  });
  const second = buildFrame({
    dstMac: RTR,
    srcMac: LVS,
    src: DIP,
    dst: RIP,
    proto: 4,
    rawL4: outerPayload.subarray(1480),
    tos: 0x10,
    id,
    fragOff: 1480,
    ttl: 62,
  });
  t.equal(hex(a), hex(first), 'first fragment: 1480 bytes, MF');
  t.equal(hex(b), hex(second), 'last fragment: offset 1480, the 10 bytes left');
});

t.test('a GSO superpacket toward a tunnel is a counted drop (virtio has no GSO type for it)', async (t) => {
  const { io, engine } = tunLab(IPIP);
  io.inject(0, buildFrame(syn));
  // virtio_net_hdr: flags 0, gso_type TCPV4 (1), hdr_len, gso_size 1448, csum_start, csum_offset
  const vnet = Buffer.from([0, 1, 66, 0, 0xa8, 5, 0, 0, 0, 0]);
  io.inject(0, buildFrame({ ...syn, flags: 'A', seq: 1001, payload: Buffer.alloc(3000) }), RXF_GSO, vnet);
  io.deliver();
  t.equal(io.sent.length, 1, 'the SYN only');
  t.equal(engine.drops.counts[DROP_TUNNEL_GSO], 1);
});

t.test('a partial checksum stays partial: csum_start moves with the frame by the tunnel headers', async (t) => {
  const { io } = tunLab(IPIP);
  // NEEDS_CSUM, no GSO, csum_start 34 (the TCP header), csum_offset 16
  const vnet = Buffer.from([1, 0, 0, 0, 0, 0, 34, 0, 16, 0]);
  io.inject(0, buildFrame({ ...syn, partialCsum: true }), RXF_CSUM_PARTIAL, vnet);
  io.deliver();
  t.equal(io.sent.length, 1);
  const s = io.sent[0]!;
  t.ok(s.vnet !== null, 'sent with its virtio_net_hdr');
  t.equal(s.vnet![0], 1, 'NEEDS_CSUM kept');
  t.equal(s.vnet!.readUInt16LE(6), 54, 'csum_start 34 + 20');
  t.equal(s.vnet!.readUInt16LE(8), 16);
  const want = buildFrame({
    dstMac: RTR,
    srcMac: LVS,
    src: DIP,
    dst: RIP,
    proto: 4,
    rawL4: innerIp({ ...syn, partialCsum: true }),
    tos: 0x10,
    df: true,
    id: 0,
    ttl: 62,
  });
  t.equal(hex(s.frame), hex(want));
});

t.test(
  'an IPv6 real server of an IPv4 service (4in6) on a director without IPv6: no_route, not IPIP to its fold',
  async (t) => {
    const rip6 = parseInet6('2001:db8:77::100')!;
    const { io, engine } = tunLab({ ...IPIP, af: AF_INET6, addr: inet6Fold(rip6), addr6: rip6 });
    io.inject(0, buildFrame(syn));
    io.deliver();
    t.equal(io.sent.length, 0, 'nothing sent');
    t.equal(engine.drops.counts[DROP_NO_ROUTE], 1, 'no IPv6 route toward it: counted as no_route');
  },
);
