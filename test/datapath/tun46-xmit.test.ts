// LVS-TUN across families on the in-memory I/O (kernel 3.18 "ipvs: Supporting mixed address
// families"): an IPv4 service's packet inside an outer IPv6 header toward an IPv6 real server
// (ip_vs_tunnel_xmit_v6() with cp->af = AF_INET: next header 4, "4in6"), an IPv6 service's packet
// inside an outer IPv4 header toward an IPv4 one (ip_vs_tunnel_xmit() with cp->af = AF_INET6:
// protocol 41, "6in4"), each also in UDP + GUE (ipvs_gue_encap(), proto_ctype 4 or 41), and the
// too-big rules of the inner family with the room of the outer one (ensure_mtu_is_adequate()).
// Expected frames are built independently with test/helpers/frames.ts and frames6.ts.
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, AF_INET6, FWD_TUNNEL, TUN_F_CSUM, TUN_F_NOCSUM, TUN_TYPE_GUE } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_FRAG_NEEDED, DROP_TUNNEL_FAMILY } from '../../src/lib/drops.ts';
import { inet6Fold, parseInet6 } from '../../src/lib/inet6.ts';
import type { DestSpec } from '../../src/model/rule-spec.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { buildFrame, hex, ipToU32, macToBytes, type FrameSpec } from '../helpers/frames.ts';
import { naiveSum, verifyIpChecksum } from '../helpers/frame-checks.ts';
import { addr6Bytes, buildFrame6, type Frame6Spec } from '../helpers/frames6.ts';
import { addService6, CIP6, config6, DIP6, dip6Port, VIP6, vip6Port } from '../helpers/engine-lab6.ts';

const LVS = '02:00:00:00:99:05';
const RTR = '02:00:00:00:99:01'; // the router: 192.168.99.1 and 2001:db8:99::1
const VIP = '192.168.88.5';
const DIP = '192.168.99.5';
const CIP = '192.168.88.10';
const RIP = '10.0.77.100';
const RIP6 = '2001:db8:77::100';
const GUE = { tunType: TUN_TYPE_GUE, tunPort: 6080 };

function dest6(extra: Partial<DestSpec> = {}): DestSpec {
  const a = parseInet6(RIP6)!;
  const d = { af: AF_INET6, addr: inet6Fold(a), addr6: a, port: 80, fwd: FWD_TUNNEL, weight: 1 };
  return { ...d, uThreshold: 0, lThreshold: 0, ...extra };
}

function dest4(extra: Partial<DestSpec> = {}): DestSpec {
  const d = { af: AF_INET, addr: ipToU32(RIP), port: 80, fwd: FWD_TUNNEL, weight: 1, uThreshold: 0, lThreshold: 0 };
  return { ...d, ...extra };
}

/** An IPv4 VIP on one port that also has the DIP6's prefix and an IPv6 gateway, and no IPv6 address owned. */
function lab4in6(dest: DestSpec, mtu = 1500) {
  const io = new MemoryIo([{ name: 'eth0', mac: LVS, mtu }]);
  const port = { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32(DIP), 24] as const], gateway: 0 };
  const v6 = { subnets6: [[parseInet6(DIP6)!, 64] as const], gateway6: parseInet6('2001:db8:99::1')! };
  const cfg: EngineConfig = { ports: [{ ...port, ...v6 }], fullNatAddrs: [], connCapacity: 1024 };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: 'rr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  services.addDest(key, dest);
  const engine = new Engine(io, cfg, services, { now: () => 1_000_000 });
  engine.start();
  io.sent.length = 0;
  engine.v6!.x6.learn(parseInet6('2001:db8:99::1')!, 0, parseMac(RTR), 0, 1_000_000);
  return { io, engine };
}

/** The IPv6 lab's director (VIP6 on eth0, DIP6 on eth1) with an IPv4 DIP on eth1; both gateways there. */
function lab6in4(dest: DestSpec, mtu = 1500) {
  const io = new MemoryIo([
    { name: 'eth0', mac: '02:00:00:00:00:01' },
    { name: 'eth1', mac: LVS, mtu },
  ]);
  const gw = { gateway: ipToU32('192.168.99.1'), gateway6: parseInet6('2001:db8:99::1')! };
  const eth1 = dip6Port({ subnets: [[ipToU32(DIP), 24]], ...gw });
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest]);
  const engine = new Engine(io, config6({ ports: [vip6Port(), eth1] }), services, { now: () => 1_000_000 });
  engine.start();
  io.sent.length = 0;
  engine.xmit.neigh.learn(ipToU32('192.168.99.1'), 1, parseMac(RTR), 0, 1_000_000);
  engine.v6!.x6.learn(parseInet6('2001:db8:99::1')!, 1, parseMac(RTR), 0, 1_000_000);
  return { io, engine };
}

const syn4: FrameSpec = {
  ...{ dstMac: LVS, srcMac: RTR, src: CIP, dst: VIP, proto: 'tcp', sport: 40000, dport: 80 },
  ...{ flags: 'S', seq: 1000, ttl: 63, tos: 0x28, df: true, id: 0x1234, payload: 'tun46' },
};
const syn6: Frame6Spec = {
  ...{ src: CIP6, dst: VIP6, srcMac: RTR, dstMac: '02:00:00:00:00:01', proto: 'tcp', sport: 40000 },
  ...{ dport: 80, flags: 'S', hopLimit: 64, tclass: 0xb8, payload: Buffer.from('tun64') },
};

/** Ethernet LVS -> RTR with EtherType type. */
function eth(type: number): Buffer {
  return Buffer.concat([macToBytes(RTR), macToBytes(LVS), Buffer.from([type >>> 8, type & 0xff])]);
}

/** An outer IPv6 header DIP6 -> RIP6 (flow label 0) for `payloadLen` bytes of next header nh. */
function outer6(tc: number, payloadLen: number, nh: number, hop: number): Buffer {
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE((0x60000000 | (tc << 20)) >>> 0, 0);
  ip.writeUInt16BE(payloadLen, 4);
  ip[6] = nh;
  ip[7] = hop;
  addr6Bytes(DIP6).copy(ip, 8);
  addr6Bytes(RIP6).copy(ip, 24);
  return ip;
}

/** Sum of an IPv6 UDP datagram with its pseudo-header: 0xffff when its checksum is right. */
function udp6Sum(udp: Buffer): number {
  const len = Buffer.alloc(8);
  len.writeUInt32BE(udp.length, 0);
  len[7] = 17;
  const ps = Buffer.concat([addr6Bytes(DIP6), addr6Bytes(RIP6), len, udp]);
  return naiveSum(ps, 0, ps.length);
}

t.test('4in6: the IPv4 packet inside IPv6 DIP6 -> RIP6, next header 4, TOS and TTL copied', async (t) => {
  const { io, engine } = lab4in6(dest6());
  io.inject(0, buildFrame(syn4));
  io.deliver();
  t.equal(io.sent.length, 1, 'the IPv6 gateway is known: the packet leaves at once');
  const inner = buildFrame({ ...syn4, ttl: 62 }).subarray(14);
  const want = Buffer.concat([eth(0x86dd), outer6(0x28, inner.length, 4, 62), inner]);
  t.equal(hex(io.sent[0]!.frame), hex(want), 'EtherType IPv6, outer header as ip_vs_tunnel_xmit_v6() writes it');
  t.equal(engine.pipeline.forwardedIn, 1);
});

t.test('4in6 too big with DF: ICMP fragmentation needed with MTU less 40, from the VIP', async (t) => {
  const { io, engine } = lab4in6(dest6());
  io.inject(0, buildFrame(syn4));
  io.deliver();
  io.sent.length = 0;
  const big = { ...syn4, flags: 'PA', payload: 'x'.repeat(1461 - 40) }; // 1461 bytes of IPv4 > 1500 - 40
  io.inject(0, buildFrame(big));
  io.deliver();
  t.equal(io.sent.length, 1, 'one ICMP error');
  const icmp = io.sent[0]!.frame;
  t.equal(icmp.readUInt16BE(12), 0x0800, 'IPv4: the rule of the packet family');
  t.same([icmp[14 + 9], icmp[34], icmp[35], icmp.readUInt16BE(34 + 6)], [1, 3, 4, 1460], 'frag needed, mtu 1460');
  t.equal(hex(icmp.subarray(26, 30)), hex(Buffer.from([192, 168, 88, 5])), 'from the VIP');
  t.equal(engine.drops.counts[DROP_FRAG_NEEDED], 1);
  io.sent.length = 0;
  io.inject(0, buildFrame({ ...big, payload: 'x'.repeat(1460 - 40) }));
  io.deliver();
  t.equal(io.sent[0]!.frame.length, 14 + 1500, '1460 bytes fit: a 1500-byte outer packet, no fragment header');
  t.equal(io.sent[0]!.frame[20], 4, 'next header 4');
});

t.test('4in6 too big without DF: the outer IPv6 packet in fragments, as ip6_fragment() cuts it', async (t) => {
  const { io, engine } = lab4in6(dest6());
  const big = { ...syn4, df: false, flags: 'PA', payload: 'y'.repeat(2000 - 40) };
  io.inject(0, buildFrame(syn4));
  io.inject(0, buildFrame(big));
  io.deliver();
  t.equal(io.sent.length, 3, 'the SYN, then two fragments');
  const inner = buildFrame({ ...big, ttl: 62 }).subarray(14);
  const frags = io.sent.slice(1).map((s) => s.frame);
  frags.sort((a, b) => (a.readUInt16BE(56) & ~7) - (b.readUInt16BE(56) & ~7));
  const [first, second] = frags as [Buffer, Buffer];
  const chunk = (1500 - 40 - 8) & ~7; // 1448
  const fragHdr = (offsetAndM: number, id: number): Buffer => {
    const h = Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]);
    h.writeUInt16BE(offsetAndM, 2);
    h.writeUInt32BE(id, 4);
    return h;
  };
  const id = first.readUInt32BE(58);
  const want1 = Buffer.concat([eth(0x86dd), outer6(0x28, 8 + chunk, 44, 62), fragHdr(1, id), inner.subarray(0, chunk)]);
  const rest = inner.subarray(chunk);
  const want2 = Buffer.concat([eth(0x86dd), outer6(0x28, 8 + rest.length, 44, 62), fragHdr(chunk, id), rest]);
  t.equal(hex(first), hex(want1), 'first: offset 0, M set, 1448 bytes of the inner packet');
  t.equal(hex(second), hex(want2), 'last: offset 1448, M clear, the rest, the same identification');
  t.equal(first.length, 14 + 1496, 'the first: 40 + 8 + 1448 = 1496 bytes, a multiple of 8 that fits 1500');
  t.equal(engine.drops.counts[DROP_TUNNEL_FAMILY], 0, 'nothing dropped');
});

t.test('4in6 GUE: IPv6 + UDP to the tunnel port + GUE proto_ctype 4, UDP checksum over IPv6', async (t) => {
  const { io } = lab4in6(dest6({ ...GUE, tunFlags: TUN_F_CSUM }));
  io.inject(0, buildFrame(syn4));
  io.deliver();
  const got = io.sent[0]!.frame;
  const inner = buildFrame({ ...syn4, ttl: 62 }).subarray(14);
  const udpLen = 8 + 4 + inner.length;
  t.equal(hex(got.subarray(0, 54)), hex(Buffer.concat([eth(0x86dd), outer6(0x28, udpLen, 17, 62)])), 'outer IPv6');
  t.equal(got.readUInt16BE(54 + 2), 6080, 'to --tun-port');
  t.equal(got.readUInt16BE(54 + 4), udpLen, 'UDP length');
  t.equal(hex(got.subarray(62, 66)), '00040000', 'GUE: version 0, hlen 0, proto_ctype IPPROTO_IPIP');
  t.equal(hex(got.subarray(66)), hex(inner), 'then the inner packet');
  t.not(got.readUInt16BE(54 + 6), 0, 'a checksum (--tun-csum)');
  t.equal(udp6Sum(got.subarray(54)), 0xffff, 'which checks over the IPv6 pseudo-header');
});

t.test('GUE toward an IPv6 real server of an IPv6 service: proto_ctype 41, checksum 0 with --tun-nocsum', async (t) => {
  const { io } = lab6in4(dest6({ ...GUE, tunFlags: TUN_F_NOCSUM }));
  io.inject(0, buildFrame6(syn6));
  io.deliver();
  const got = io.sent[0]!.frame;
  const inner = buildFrame6({ ...syn6, hopLimit: 63 }).subarray(14);
  const udpLen = 8 + 4 + inner.length;
  t.equal(hex(got.subarray(0, 54)), hex(Buffer.concat([eth(0x86dd), outer6(0xb8, udpLen, 17, 63)])), 'outer IPv6');
  t.equal(got.readUInt16BE(54 + 2), 6080, 'to --tun-port');
  t.equal(got.readUInt16BE(54 + 6), 0, 'udp6_set_csum(nocheck): 0');
  t.equal(hex(got.subarray(62, 66)), '00290000', 'GUE: proto_ctype IPPROTO_IPV6');
  t.equal(hex(got.subarray(66)), hex(inner), 'then the inner packet');
});

t.test('6in4: the IPv6 packet inside IPv4 DIP -> RIP, protocol 41, traffic class and hop limit copied', async (t) => {
  const { io, engine } = lab6in4(dest4());
  io.inject(0, buildFrame6(syn6));
  io.deliver();
  t.equal(io.sent.length, 1, 'the IPv4 gateway is known: the packet leaves at once');
  const got = io.sent[0]!.frame;
  const inner = buildFrame6({ ...syn6, hopLimit: 63 }).subarray(14);
  t.equal(hex(got.subarray(0, 14)), hex(eth(0x0800)), 'EtherType IPv4');
  const ip = got.subarray(14, 34);
  t.equal(ip[0], 0x45);
  t.equal(ip[1], 0xb8, 'tos = the traffic class');
  t.equal(ip.readUInt16BE(2), 20 + inner.length);
  t.not(ip.readUInt16BE(4), 0, 'ip_select_ident(): numbered, the outer packet has no DF');
  t.equal(ip.readUInt16BE(6), 0, 'no DF, no fragment');
  t.same([ip[8], ip[9]], [63, 41], 'ttl = the decremented hop limit, protocol IPPROTO_IPV6');
  t.equal(hex(ip.subarray(12, 20)), hex(Buffer.from([192, 168, 99, 5, 10, 0, 77, 100])), 'DIP -> RIP');
  t.ok(verifyIpChecksum(got), 'outer header checksum');
  t.equal(hex(got.subarray(34)), hex(inner), 'then the inner IPv6 packet');
  t.equal(engine.pipeline.forwardedIn, 1, 'counted with the IPv4 path counters');
});

t.test('6in4 too big: ICMPv6 packet too big from the VIP6 with MTU less 20', async (t) => {
  const { io, engine } = lab6in4(dest4(), 1400);
  io.inject(0, buildFrame6(syn6));
  io.deliver();
  io.sent.length = 0;
  io.inject(0, buildFrame6({ ...syn6, flags: 'PA', payload: Buffer.alloc(1381 - 60) }));
  io.deliver();
  t.equal(io.sent.length, 1, 'one ICMPv6 error');
  const e = io.sent[0]!.frame;
  t.equal(e.readUInt16BE(12), 0x86dd);
  t.equal(hex(e.subarray(22, 38)), hex(addr6Bytes(VIP6)), 'from the VIP6');
  t.same([e[20], e[54], e[55], e.readUInt32BE(58)], [58, 2, 0, 1380], 'packet too big, mtu 1400 - 20');
  t.equal(engine.drops.counts[DROP_FRAG_NEEDED], 1);
});

t.test('6in4 GUE: IPv4 + UDP + GUE proto_ctype 41', async (t) => {
  const { io } = lab6in4(dest4({ ...GUE, tunFlags: TUN_F_CSUM }));
  io.inject(0, buildFrame6(syn6));
  io.deliver();
  const got = io.sent[0]!.frame;
  const inner = buildFrame6({ ...syn6, hopLimit: 63 }).subarray(14);
  t.equal(got[14 + 9], 17, 'UDP');
  t.equal(got.readUInt16BE(34 + 2), 6080);
  t.equal(hex(got.subarray(42, 46)), '00290000', 'GUE: proto_ctype IPPROTO_IPV6');
  t.equal(hex(got.subarray(46)), hex(inner));
  const udp = got.subarray(34);
  const ps = Buffer.concat([got.subarray(26, 34), Buffer.from([0, 17, udp.length >>> 8, udp.length & 0xff]), udp]);
  t.equal(naiveSum(ps, 0, ps.length), 0xffff, 'the UDP checksum checks over the IPv4 pseudo-header');
});
