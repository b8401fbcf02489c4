// LVS-TUN over IPv6 on the in-memory I/O: ip_vs_tunnel_xmit_v6() wraps the client's IPv6 packet
// (hop limit decremented by __ip_vs_get_out_rt_v6()) in an outer IPv6 header from the DIP6 to the
// real server, next header 41, traffic class and hop limit copied from the inner header, flow
// label 0; over the MTU less 40 it answers ICMPv6 packet too big from the VIP6 (IPv6 is never
// fragmented on the way). The real servers sit on a routed network, behind the router.
// Expected frames are built independently with test/helpers/frames6.ts (its own checksums).
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, AF_INET6, FWD_TUNNEL, TUN_F_NOCSUM, TUN_TYPE_GUE, type Dest } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../../src/lib/drops.ts';
import { inet6Fold, parseInet6 } from '../../src/lib/inet6.ts';
import type { DestSpec } from '../../src/model/rule-spec.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { RXF_CSUM_PARTIAL, RXF_GSO } from '../../src/packet/rx-flags.ts';
import { addr6Bytes, buildFrame6, type Frame6Spec } from '../helpers/frames6.ts';
import { CIP6, DIP6, VIP6, addService6, config6, dip6Port, vip6Port } from '../helpers/engine-lab6.ts';
import { hex, ipToU32, macToBytes } from '../helpers/frames.ts';
import { naiveSum } from '../helpers/frame-checks.ts';

const LVS0 = '02:00:00:00:00:01';
const LVS1 = '02:00:00:00:00:02';
const CMAC = '02:00:00:00:88:10';
const RTR = '02:00:00:00:99:01'; // 2001:db8:99::1, the router toward the real servers' network
const GW6 = '2001:db8:99::1';
const RIP6 = '2001:db8:77::100'; // a routed network, not the director's segment

function v6dest(addr: string, port = 80): DestSpec {
  const a = parseInet6(addr)!;
  return { af: AF_INET6, addr: inet6Fold(a), addr6: a, port, fwd: FWD_TUNNEL, weight: 1, uThreshold: 0, lThreshold: 0 };
}

/** The director: VIP6 on eth0, the DIP6 on eth1 (MTU mtu), RIP6 behind GW6; one tunnelled real server. */
function tun6Lab(mtu = 1500, dest: DestSpec = v6dest(RIP6), onePort = false) {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1, mtu },
  ]);
  const eth1 = { subnets6: [[parseInet6(DIP6)!, 64]] as const, gateway6: parseInet6(GW6)! };
  // One port: the VIP6 and the DIP6 on the same segment, as in the TUN lab.
  const cfg = config6({ ports: onePort ? [vip6Port(eth1), dip6Port({ subnets6: [] })] : [vip6Port(), dip6Port(eth1)] });
  const services = new ServiceTable({ findScheduler });
  const key = addService6(services, IPPROTO_TCP, 80, []);
  const d = services.addDest(key, dest);
  const nowMs = 1_000_000;
  const engine = new Engine(io, cfg, services, { now: () => nowMs });
  engine.start();
  io.sent.length = 0; // the unsolicited NA for the VIP6
  engine.v6!.x6.learn(parseInet6(GW6)!, onePort ? 0 : 1, parseMac(RTR), 0, nowMs);
  return { io, engine, dest: d as Dest };
}

const syn: Frame6Spec = {
  src: CIP6,
  dst: VIP6,
  srcMac: CMAC,
  dstMac: LVS0,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
  hopLimit: 64,
  payload: Buffer.from('tun6'),
};

/** The client's frame with traffic class tc and flow label fl in its first word (neither is summed). */
function withClass(spec: Frame6Spec, tc: number, fl: number): Buffer {
  const b = buildFrame6(spec);
  b.writeUInt32BE((0x60000000 | (tc << 20) | fl) >>> 0, 14);
  return b;
}

/** What the router must get: Ethernet LVS1 -> RTR, outer IPv6 DIP6 -> RIP6, then the inner packet. */
function outer(inner: Buffer, tc: number, hopLimit: number): Buffer {
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE((0x60000000 | (tc << 20)) >>> 0, 0); // flow label 0
  ip.writeUInt16BE(inner.length, 4);
  ip[6] = 41;
  ip[7] = hopLimit;
  addr6Bytes(DIP6).copy(ip, 8);
  addr6Bytes(RIP6).copy(ip, 24);
  const eth = Buffer.concat([macToBytes(RTR), macToBytes(LVS1), Buffer.from([0x86, 0xdd])]);
  return Buffer.concat([eth, ip, inner]);
}

t.test('ip6ip6: the client packet inside an outer IPv6 header DIP6 -> RIP6, next header 41', async (t) => {
  const { io, engine, dest } = tun6Lab();
  io.inject(0, withClass(syn, 0xb8, 0x12345));
  io.deliver();
  t.equal(io.sent.length, 1, 'the gateway is known: no NS, the packet leaves at once');
  const inner = withClass({ ...syn, hopLimit: 63 }, 0xb8, 0x12345).subarray(14);
  const got = io.sent[0]!.frame;
  t.equal(hex(got), hex(outer(inner, 0xb8, 63)), 'traffic class and hop limit copied, flow label 0');
  // The inner TCP checksum is the client's: the hop limit and flow label are not in it.
  const l4 = got.subarray(14 + 40 + 40);
  const ps = Buffer.concat([addr6Bytes(CIP6), addr6Bytes(VIP6), Buffer.from([0, 0, 0, l4.length, 0, 0, 0, 6]), l4]);
  t.equal(naiveSum(ps, 0, ps.length), 0xffff, 'the inner checksum still checks');
  t.equal(engine.pipeline.forwardedIn, 1);
  t.equal(dest.inPkts, 1, 'counted on the real server');
  io.sent.length = 0;
  io.inject(0, buildFrame6({ ...syn, flags: 'A', payload: Buffer.alloc(0) }));
  io.deliver();
  const ack = buildFrame6({ ...syn, flags: 'A', payload: Buffer.alloc(0), hopLimit: 63 }).subarray(14);
  t.equal(hex(io.sent[0]!.frame), hex(outer(ack, 0, 63)), 'the next segment of the connection goes the same way');
});

t.test('too big for the tunnel: ICMPv6 packet too big from the VIP6 with MTU less 40', async (t) => {
  const { io, engine } = tun6Lab();
  io.inject(0, buildFrame6(syn));
  io.deliver();
  io.sent.length = 0;
  // 1460 bytes of inner packet fit 1500 - 40 exactly; 1461 do not.
  const fits = { ...syn, flags: 'PA', payload: Buffer.alloc(1460 - 60, 0x61) };
  io.inject(0, buildFrame6(fits));
  io.deliver();
  t.equal(io.sent.length, 1, '1460 bytes leave');
  t.equal(io.sent[0]!.frame.length, 14 + 1500, 'as a 1500-byte outer packet');
  io.sent.length = 0;
  const big = { ...fits, payload: Buffer.alloc(1461 - 60, 0x61) };
  io.inject(0, buildFrame6(big));
  io.deliver();
  t.equal(io.sent.length, 1, 'only the ICMPv6 error leaves');
  const s = io.sent[0]!;
  const quote = buildFrame6({ ...big, hopLimit: 63 }).subarray(14, 14 + 1280 - 48); // icmp6_send(): up to 1280 in all
  const body = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0x05, 0xb4]), quote]); // type 2, mtu 1460
  const ps = Buffer.concat([
    addr6Bytes(VIP6),
    addr6Bytes(CIP6),
    Buffer.alloc(2),
    Buffer.alloc(2),
    Buffer.from([0, 0, 0, 58]),
    body,
  ]);
  ps.writeUInt16BE(body.length, 34);
  body.writeUInt16BE(~naiveSum(ps, 0, ps.length) & 0xffff, 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(body.length, 4);
  ip[6] = 58;
  ip[7] = 64;
  addr6Bytes(VIP6).copy(ip, 8);
  addr6Bytes(CIP6).copy(ip, 24);
  const want = Buffer.concat([macToBytes(CMAC), macToBytes(LVS0), Buffer.from([0x86, 0xdd]), ip, body]);
  t.equal(hex(s.frame), hex(want), 'from the VIP6 to the client on eth0, MTU 1460, the packet quoted');
  t.equal(engine.drops.counts[DROP_FRAG_NEEDED], 1, 'counted as frag_needed');
  t.equal(engine.v6!.tun.pktTooBigSent, 1);
});

t.test('a route with less than 1280 bytes of room for the inner packet fails (IPV6_MIN_MTU)', async (t) => {
  const { io, engine } = tun6Lab(1319);
  io.inject(0, buildFrame6(syn));
  io.deliver();
  t.equal(io.sent.length, 0);
  t.equal(engine.drops.counts[DROP_NO_ROUTE], 1, 'no_route, as "mtu less than 1280"');
  const ok = tun6Lab(1320);
  ok.io.inject(0, buildFrame6(syn));
  ok.io.deliver();
  t.equal(ok.io.sent.length, 1, '1320 leaves exactly 1280');
});

t.test('a partial checksum stays partial: csum_start moves by 40, GSO is a counted drop', async (t) => {
  const { io, engine } = tun6Lab();
  // NEEDS_CSUM, no GSO, csum_start 54 (the TCP header), csum_offset 16
  const vnet = Buffer.from([1, 0, 0, 0, 0, 0, 54, 0, 16, 0]);
  io.inject(0, buildFrame6(syn), RXF_CSUM_PARTIAL, vnet);
  io.deliver();
  const s = io.sent[0]!;
  t.ok(s.vnet !== null, 'sent with its virtio_net_hdr');
  t.equal(s.vnet![0], 1, 'NEEDS_CSUM kept');
  t.equal(s.vnet!.readUInt16LE(6), 94, 'csum_start 54 + 40');
  t.equal(hex(s.frame), hex(outer(buildFrame6({ ...syn, hopLimit: 63 }).subarray(14), 0, 63)));
  const gso = Buffer.from([0, 4, 74, 0, 0xa0, 5, 54, 0, 16, 0]); // gso_type TCPV6
  io.inject(0, buildFrame6({ ...syn, flags: 'A', payload: Buffer.alloc(3000) }), RXF_GSO, gso);
  io.deliver();
  t.equal(engine.drops.counts[DROP_TUNNEL_GSO], 1);
});

t.test('across families: an IPv4 real server without an IPv4 route is no_route; GUE is accepted', async (t) => {
  const v4dest: DestSpec = { ...v6dest(RIP6), af: AF_INET, addr: ipToU32('10.0.77.100') };
  delete (v4dest as { addr6?: unknown }).addr6;
  const v4 = tun6Lab(1500, v4dest);
  v4.io.inject(0, buildFrame6(syn));
  v4.io.deliver();
  t.equal(v4.io.sent.length, 0, 'an IPv6 service with an IPv4 -i real server and no IPv4 route sends nothing');
  t.equal(v4.engine.drops.counts[DROP_NO_ROUTE], 1, 'counted as no_route (6in4: tun46-xmit.test.ts)');
  const gue = tun6Lab(1500, { ...v6dest(RIP6), tunType: TUN_TYPE_GUE, tunPort: 6080, tunFlags: TUN_F_NOCSUM });
  t.equal(gue.dest.tunType, TUN_TYPE_GUE, 'GUE toward an IPv6 real server is taken, as ip_vs_add_dest() does');
});

t.test('the outer source is the DIP6 even where tsvs owns the VIP6 on the same port', async (t) => {
  const { io } = tun6Lab(1500, v6dest(RIP6), true);
  io.inject(0, buildFrame6(syn));
  io.deliver();
  const got = io.sent[0]!.frame;
  t.equal(
    hex(got.subarray(14 + 8, 14 + 24)),
    hex(addr6Bytes(DIP6)),
    'from the DIP6 (ipv6_dev_get_saddr), not the VIP6',
  );
  t.equal(hex(got.subarray(6, 12)), hex(macToBytes(LVS0)), 'out of eth0');
});
