// The IPv6 path of the director end to end on the in-memory I/O: neighbour discovery, echo, NAT66
// and DR6 (only the MACs change) with the next hop resolved by NS, hop limit, port unreachable, the extension header
// bound. Expected frames are built independently with test/helpers/frames6.ts (its own parser
// and checksums).
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { FWD_MASQ, FWD_ROUTE } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_FRAGMENT } from '../../src/lib/drops.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { addr6Bytes, buildFrame6, icmp6Err, nd } from '../helpers/frames6.ts';
import { CIP6, DIP6, VIP6, addService6, config6, dest6 } from '../helpers/engine-lab6.ts';
import { hex } from '../helpers/frames.ts';
import { formatTrace } from '../../src/cli/format-trace.ts';

const LVS0 = '02:00:00:00:00:01';
const LVS1 = '02:00:00:00:00:02';
const CMAC = '02:00:00:00:88:10';
const WMAC = '02:00:00:00:99:64';
const RIP6 = '2001:db8:99::100';

/** The director: VIP6 on eth0, the real server RIP6:rport on eth1, forwarded by fwd. */
function lab(fwd = FWD_MASQ, rport = 8080) {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const cfg = config6();
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, rport, fwd)]);
  let now = 1_000_000;
  const engine = new Engine(io, cfg, services, { now: () => now });
  engine.start();
  return { io, engine, advance: (ms: number) => (now += ms) };
}

t.test('at start tsvs advertises the VIP6 unsolicited, to all nodes', async (t) => {
  const { io } = lab();
  const want = nd(136, VIP6, 'ff02::1', VIP6, LVS0, '33:33:00:00:00:01', 0xa0);
  t.equal(io.sent.length, 1);
  t.equal(hex(io.sent[0]!.frame), hex(want), 'router + override, target link-layer option with eth0 MAC');
});

t.test('an NS for the VIP6 is answered with a solicited NA to the client', async (t) => {
  const { io } = lab();
  io.sent.length = 0;
  io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
  io.deliver();
  t.equal(io.sent.length, 1);
  t.equal(hex(io.sent[0]!.frame), hex(nd(136, VIP6, CIP6, VIP6, LVS0, CMAC, 0xe0)));
});

t.test('ICMPv6 echo to the VIP6 is answered from it', async (t) => {
  const { io } = lab();
  io.sent.length = 0;
  const req = {
    src: CIP6,
    dst: VIP6,
    srcMac: CMAC,
    dstMac: LVS0,
    proto: 'icmp6' as const,
    payload: Buffer.from('ping'),
  };
  io.inject(0, buildFrame6(req));
  io.deliver();
  const want = buildFrame6({ ...req, src: VIP6, dst: CIP6, srcMac: LVS0, dstMac: CMAC, icmpType: 129 });
  t.equal(hex(io.sent[0]!.frame), hex(want));
});

t.test('NAT66: a SYN waits for NS resolution, leaves to RIP6:8080, the reply comes back from VIP6:80', async (t) => {
  const { io, engine } = lab();
  const c = { sport: 40000, srcMac: CMAC, proto: 'tcp' as const, hopLimit: 64 };
  io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05')); // tsvs learns the client
  io.deliver();
  io.sent.length = 0;
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, dstMac: LVS0, dport: 80, flags: 'S' }));
  io.deliver();
  t.equal(io.sent.length, 1, 'only the NS for the real server');
  t.equal(hex(io.sent[0]!.frame), hex(nd(135, DIP6, 'ff02::1:ff00:100', RIP6, LVS1, '33:33:ff:00:01:00')));
  io.sent.length = 0;
  io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
  io.deliver();
  const fwd = buildFrame6({
    ...c,
    src: CIP6,
    dst: RIP6,
    srcMac: LVS1,
    dstMac: WMAC,
    dport: 8080,
    flags: 'S',
    hopLimit: 63,
  });
  t.equal(hex(io.sent[0]!.frame), hex(fwd), 'the held SYN, rewritten, once the NA arrives');
  io.sent.length = 0;
  const r = { proto: 'tcp' as const, sport: 8080, dport: 40000, flags: 'SA', hopLimit: 64 };
  io.inject(1, buildFrame6({ ...r, src: RIP6, dst: CIP6, srcMac: WMAC, dstMac: LVS1 }));
  io.deliver();
  const back = buildFrame6({ ...r, sport: 80, src: VIP6, dst: CIP6, srcMac: LVS0, dstMac: CMAC, hopLimit: 63 });
  t.equal(hex(io.sent[0]!.frame), hex(back));
  t.equal(engine.v6!.cm.conns.count, 1);
});

t.test('DR6: the SYN leaves unchanged but for its MACs and hop limit, toward the MAC NS resolved', async (t) => {
  const { io, engine } = lab(FWD_ROUTE, 80);
  const c = { src: CIP6, dst: VIP6, sport: 40000, dport: 80, proto: 'tcp' as const, flags: 'S' };
  io.sent.length = 0;
  io.inject(0, buildFrame6({ ...c, srcMac: CMAC, dstMac: LVS0, hopLimit: 64, payload: Buffer.from('dr6') }));
  io.deliver();
  t.equal(io.sent.length, 1, 'only the NS for the real server');
  t.equal(hex(io.sent[0]!.frame), hex(nd(135, DIP6, 'ff02::1:ff00:100', RIP6, LVS1, '33:33:ff:00:01:00')));
  io.sent.length = 0;
  io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
  io.deliver();
  // ip_vs_dr_xmit_v6: addresses, ports and checksums as the client sent them (the hop limit is not
  // in the pseudo-header); the frame goes to the real server's MAC from the director's.
  const want = buildFrame6({ ...c, srcMac: LVS1, dstMac: WMAC, hopLimit: 63, payload: Buffer.from('dr6') });
  t.equal(io.sent.length, 1);
  t.equal(hex(io.sent[0]!.frame), hex(want), 'VIP6:80 kept, only the Ethernet header and hop limit differ');
  io.sent.length = 0;
  io.inject(0, buildFrame6({ ...c, srcMac: CMAC, dstMac: LVS0, hopLimit: 64, flags: 'A' }));
  io.deliver();
  t.equal(
    hex(io.sent[0]!.frame),
    hex(buildFrame6({ ...c, srcMac: LVS1, dstMac: WMAC, hopLimit: 63, flags: 'A' })),
    'the next segment goes the same way on the resolved neighbour',
  );
  io.sent.length = 0;
  // A segment from RIP6:80 to the client is no DR reply tsvs rewrites: ip_vs_out() ignores a
  // connection that is not masquerading and the kernel decides.
  const stray = buildFrame6({ src: RIP6, dst: CIP6, sport: 80, dport: 40000, proto: 'tcp', flags: 'SA' });
  io.inject(1, Buffer.from(stray));
  io.deliver();
  t.equal(io.sent.length, 0, 'nothing sent for it');
  t.equal(engine.drops.toRecord()['no_dest'] ?? 0, 0, 'and it is no no_dest drop');
  t.equal(engine.v6!.cm.conns.count, 1);
});

t.test('hop limit 1: ICMPv6 time exceeded from the VIP6, quoting the packet as sent', async (t) => {
  const { io, engine } = lab();
  io.sent.length = 0;
  const syn = buildFrame6({ src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', flags: 'S', hopLimit: 1 });
  io.inject(0, syn);
  io.deliver();
  const out = io.sent[0]!.frame;
  t.equal(out[14 + 40], 3, 'ICMPv6 type 3 (time exceeded)');
  t.equal(hex(out.subarray(14 + 8, 14 + 24)), hex(addr6Bytes(VIP6)), 'from the VIP6');
  t.equal(hex(out.subarray(14 + 48)), hex(syn.subarray(14)), 'the whole SYN quoted');
  t.equal(engine.drops.toRecord()['ttl_exceeded'], 1);
});

t.test('nine destination options headers: a counted bad_ipv6_exthdr drop, nothing sent', async (t) => {
  const { io, engine } = lab();
  io.sent.length = 0;
  io.inject(
    0,
    buildFrame6({ src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', flags: 'S', destOpts: 9 }),
  );
  io.inject(
    0,
    buildFrame6({ src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', flags: 'S', destOpts: 2, sport: 1 }),
  );
  io.deliver();
  t.equal(engine.drops.toRecord()['bad_ipv6_exthdr'], 1, 'nine: dropped');
  t.equal(engine.v6!.cm.conns.count, 1, 'two: walked, and the SYN made a connection');
});

t.test('an ICMPv6 error from the real server about a connection reaches the client as from the VIP6', async (t) => {
  const { io } = lab();
  io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
  io.inject(1, nd(135, RIP6, 'ff02::1:ff00:5', DIP6, WMAC, '33:33:ff:00:00:05'));
  io.deliver();
  io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
  io.deliver();
  const c = { sport: 40000, proto: 'tcp' as const, flags: 'S' };
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, dport: 80 }));
  io.deliver();
  io.sent.length = 0;
  // What web1 got (the SYN to RIP6:8080) quoted in its port unreachable.
  const got = buildFrame6({ ...c, src: CIP6, dst: RIP6, dport: 8080, hopLimit: 63 }).subarray(14);
  io.inject(1, icmp6Err(RIP6, CIP6, WMAC, LVS1, 64, got));
  io.deliver();
  // The quote as the client sent it, but its TCP checksum left as it was (the kernel leaves it too).
  const want = Buffer.from(buildFrame6({ ...c, src: CIP6, dst: VIP6, dport: 80, hopLimit: 63 }).subarray(14));
  got.copy(want, 40 + 16, 40 + 16, 40 + 18);
  t.equal(io.sent.length, 1);
  t.equal(hex(io.sent[0]!.frame), hex(icmp6Err(VIP6, CIP6, LVS0, CMAC, 63, want)));
});

/** Cut a whole IPv6 frame (no extension headers) into fragments of at most mtu IP bytes (RFC 8200 4.5). */
function fragment6(frame: Buffer, mtu: number, ident: number): Buffer[] {
  const nh = frame[14 + 6]!;
  const data = frame.subarray(54, 54 + frame.readUInt16BE(14 + 4));
  const step = ((mtu - 48) >> 3) << 3;
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += step) {
    const chunk = data.subarray(off, Math.min(off + step, data.length));
    const fh = Buffer.alloc(8);
    fh[0] = nh;
    fh.writeUInt16BE(off | (off + step < data.length ? 1 : 0), 2);
    fh.writeUInt32BE(ident, 4);
    const f = Buffer.concat([frame.subarray(0, 54), fh, chunk]);
    f[14 + 6] = 44;
    f.writeUInt16BE(8 + chunk.length, 14 + 4);
    out.push(f);
  }
  return out;
}

/** The fragments' data in offset order behind the first one's fixed header, its next header restored. */
function reassemble6(frags: readonly Buffer[]): Buffer {
  const offOf = (f: Buffer): number => f.readUInt16BE(56) & 0xfff8;
  const sorted = [...frags].sort((a, b) => offOf(a) - offOf(b));
  const first = sorted[0]!;
  const whole = Buffer.concat([first.subarray(0, 54), ...sorted.map((f) => f.subarray(62, 54 + f.readUInt16BE(18)))]);
  whole[14 + 6] = first[54]!;
  whole.writeUInt16BE(whole.length - 54, 14 + 4);
  return whole;
}

t.test(
  'NAT66: a segment in fragments follows its first fragment and reassembles NATed whole; an orphan is dropped',
  async (t) => {
    const { io, engine } = lab();
    const c = { sport: 40000, proto: 'tcp' as const, hopLimit: 64 };
    io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
    io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, dport: 80, flags: 'S' }));
    io.deliver();
    io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
    io.deliver();
    io.sent.length = 0;
    const payload = Buffer.alloc(3000).map((_, i) => (i * 5 + 1) & 0xff);
    const seg = { ...c, src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, dport: 80, flags: 'PA', payload };
    const frags = fragment6(buildFrame6(seg), 1500, 0xabcdef01);
    t.equal(frags.length, 3);
    io.inject(0, frags[2]!); // before its first fragment: nothing to follow
    io.deliver();
    t.equal(io.sent.length, 0);
    t.equal(engine.drops.get(DROP_FRAGMENT), 1, 'counted as a fragment drop');
    for (const f of frags) io.inject(0, f);
    io.deliver();
    t.equal(io.sent.length, 3, 'each fragment forwarded');
    t.same(
      io.sent.map((s) => s.frame.length),
      frags.map((f) => f.length),
      'sizes kept',
    );
    const want = buildFrame6({ ...seg, dst: RIP6, dport: 8080, srcMac: LVS1, dstMac: WMAC, hopLimit: 63 });
    t.equal(hex(reassemble6(io.sent.map((s) => s.frame))), hex(want), 'TCP checksum right over the whole segment');
    t.equal(engine.v6!.frags.matched, 2);
    t.equal(engine.drops.get(DROP_FRAGMENT), 1);
  },
);

t.test('trace: IPv6 rewrites and drops read as the IPv4 ones, endpoints in brackets', async (t) => {
  const { io, engine } = lab();
  engine.trace.enabled = true;
  const head = engine.trace.head;
  const c = { sport: 40000, srcMac: CMAC, dstMac: LVS0, proto: 'tcp' as const, hopLimit: 64 };
  io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60)); // the real server's MAC known
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, dport: 80, flags: 'S' }));
  io.deliver();
  const r = { proto: 'tcp' as const, sport: 8080, dport: 40000, flags: 'SA', hopLimit: 64 };
  io.inject(1, buildFrame6({ ...r, src: RIP6, dst: CIP6, srcMac: WMAC, dstMac: LVS1 }));
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, dport: 81, flags: 'S' })); // no service on :81
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, sport: 40001, dport: 80, flags: 'S', hopLimit: 1 }));
  io.deliver();
  const names = { host: (a: number | string) => (a === RIP6 ? 'web1' : undefined), sched: () => 'rr' };
  t.same(
    engine.trace.readSince(head).map((e) => formatTrace(e, names)),
    [
      `IN  [${CIP6}]:40000 > [${VIP6}]:80 SYN  => [${CIP6}]:40000 > [${RIP6}]:8080 (new, rr -> web1, SYN_RECV)`,
      `OUT [${RIP6}]:8080 > [${CIP6}]:40000 SYN,ACK  => [${VIP6}]:80 > [${CIP6}]:40000 (from web1, SYN_RECV)`,
      `DROP [${CIP6}]:40000 > [${VIP6}]:81 SYN  (no_service)`,
      `DROP [${CIP6}]:40001 > [${VIP6}]:80 SYN  (ttl_exceeded)`,
    ],
  );
  engine.trace.enabled = false;
  io.inject(0, buildFrame6({ ...c, src: CIP6, dst: VIP6, sport: 40002, dport: 80, flags: 'S' }));
  io.deliver();
  t.equal(engine.trace.head, head + 4, 'nothing recorded while tracing is off');
});
