// The fanout program run on crafted frames by a classic BPF interpreter (test/helpers/cbpf.ts):
// for IPv4 and IPv6, in, out, full-NAT and ICMP-error frames of a flow choose the worker that
// fanoutWorker / fanoutWorker6 compute from the client's address and port; neighbour discovery
// and ARP go to worker 0; fragments and extension-header chains hash the address alone. The
// kernel runs the same program in test/io/fanout.test.ts (both families, real sockets).
import t from 'tap';
import { fanoutProgram, fanoutWorker, fanoutWorker6 } from '../../src/io/fanout-program.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { classicCheckError, runCbpf } from '../helpers/cbpf.ts';
import { buildFrame, ipToU32 } from '../helpers/frames.ts';
import { buildFrame6 } from '../helpers/frames6.ts';

const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const RIP = '192.168.99.100';
const LIP = '192.168.99.6';
const VIP6 = '2001:db8:88::5';
const CIP6 = '2001:db8:88::10';
const RIP6 = '2001:db8:99::100';
const LIP6 = '2001:db8:99::6';
const W = 3;

const prog = fanoutProgram({
  inAddrs: [ipToU32('10.0.0.1'), ipToU32(VIP)],
  localAddrs: [ipToU32(LIP)],
  inAddrs6: [parseInet6('2001:db8::1')!, parseInet6(VIP6)!],
  localAddrs6: [parseInet6(LIP6)!],
});
const worker = (f: Uint8Array): number => runCbpf(prog, f) % W;
const c6 = parseInet6(CIP6)!;
const ports = Array.from({ length: 40 }, (_, i) => 30000 + i * 7);

t.test('IPv4: in, out and ICMP errors of a flow go to the hash of the client side', async (t) => {
  const wrong: string[] = [];
  const seen = new Set<number>();
  for (const p of ports) {
    const want = fanoutWorker(ipToU32(CIP), p, W);
    seen.add(want);
    const inF = buildFrame({ src: CIP, dst: VIP, proto: 'tcp', sport: p, dport: 80, flags: 'S' });
    const outF = buildFrame({ src: RIP, dst: CIP, proto: 'udp', sport: 80, dport: p });
    const quoted = buildFrame({ src: CIP, dst: RIP, proto: 'tcp', sport: p, dport: 80 }).subarray(14, 42);
    const errOut = buildFrame({ src: RIP, dst: CIP, proto: 'icmp', icmpType: 3, icmpCode: 4, payload: quoted });
    const got = [worker(inF), worker(outF), worker(errOut)];
    if (got.some((w) => w !== want)) wrong.push(`${p}: ${got.join(',')} want ${want}`);
  }
  t.same(wrong, []);
  t.equal(seen.size, W, 'the flows spread over every worker');
});

t.test('IPv4: full NAT by local port, fragments by address, ARP to worker 0', async (t) => {
  for (const p of ports.slice(0, 5)) {
    t.equal(worker(buildFrame({ src: RIP, dst: LIP, proto: 'tcp', sport: 80, dport: p })), p % W);
  }
  const frag = buildFrame({ src: CIP, dst: VIP, proto: 'udp', sport: 5353, dport: 53, mf: true });
  t.equal(worker(frag), fanoutWorker(ipToU32(CIP), 0, W));
  const arp = Buffer.alloc(42);
  arp.writeUInt16BE(0x0806, 12);
  t.equal(runCbpf(prog, arp), 0);
});

t.test('IPv6: in, out and ICMPv6 errors of a flow go to the hash of the folded client address', async (t) => {
  const wrong: string[] = [];
  const seen = new Set<number>();
  for (const p of ports) {
    const want = fanoutWorker6(c6, 0, p, W);
    seen.add(want);
    const inF = buildFrame6({ src: CIP6, dst: VIP6, proto: 'tcp', sport: p, dport: 80, flags: 'S' });
    const outF = buildFrame6({ src: RIP6, dst: CIP6, proto: 'udp', sport: 80, dport: p });
    // Packet too big from a router toward the client, quoting the client's segment to RIP6.
    const q1 = buildFrame6({ src: CIP6, dst: RIP6, proto: 'tcp', sport: p, dport: 80 }).subarray(14);
    const errOut = buildFrame6({ src: '2001:db8:77::1', dst: CIP6, proto: 'icmp6', icmpType: 2, payload: q1 });
    // Destination unreachable from a router toward the VIP6, quoting a reply VIP6 -> client.
    const q2 = buildFrame6({ src: VIP6, dst: CIP6, proto: 'tcp', sport: 80, dport: p }).subarray(14);
    const errIn = buildFrame6({ src: '2001:db8:88::1', dst: VIP6, proto: 'icmp6', icmpType: 1, payload: q2 });
    const got = [worker(inF), worker(outF), worker(errOut), worker(errIn)];
    if (got.some((w) => w !== want)) wrong.push(`${p}: ${got.join(',')} want ${want}`);
  }
  t.same(wrong, []);
  t.equal(seen.size, W, 'the flows spread over every worker');
});

t.test('IPv6: full NAT by local port; neighbour discovery to worker 0; chains by address', async (t) => {
  for (const p of ports.slice(0, 5)) {
    t.equal(worker(buildFrame6({ src: RIP6, dst: LIP6, proto: 'tcp', sport: 80, dport: p })), p % W);
    const q = buildFrame6({ src: LIP6, dst: RIP6, proto: 'tcp', sport: p, dport: 80 }).subarray(14);
    const err = buildFrame6({ src: RIP6, dst: LIP6, proto: 'icmp6', icmpType: 1, payload: q });
    t.equal(worker(err), p % W, 'an ICMPv6 error about a full-NAT segment: the quoted local port');
  }
  for (const type of [133, 134, 135, 136, 137]) {
    const nd = buildFrame6({ src: CIP6, dst: VIP6, proto: 'icmp6', icmpType: type });
    t.equal(runCbpf(prog, nd), 0, `ICMPv6 type ${type} (neighbour discovery) to worker 0`);
  }
  const echo = buildFrame6({ src: CIP6, dst: VIP6, proto: 'icmp6', icmpType: 128 });
  t.equal(worker(echo), fanoutWorker6(c6, 0, 0, W), 'echo to the VIP6: the client address, port 0');
  const opts = buildFrame6({ src: CIP6, dst: VIP6, proto: 'tcp', sport: 40000, dport: 80, destOpts: 1 });
  t.equal(worker(opts), fanoutWorker6(c6, 0, 0, W), 'an extension header before TCP: the address alone');
  const other = Buffer.alloc(60);
  other.writeUInt16BE(0x88cc, 12); // LLDP
  t.equal(runCbpf(prog, other), 0, 'neither IPv4 nor IPv6: worker 0');
});

t.test("the kernel's classic checker takes the program with any mix of addresses", async (t) => {
  const a6 = (i: number) => Uint32Array.of(0xfd000000, 0, 0, i);
  for (const [v4, l4, v6, l6] of [
    [0, 0, 0, 0],
    [2, 1, 0, 0],
    [0, 0, 2, 1],
    [1, 1, 1, 1],
    [20, 4, 16, 4],
  ] as const) {
    const p = fanoutProgram({
      inAddrs: Array.from({ length: v4 }, (_, i) => i + 1),
      localAddrs: Array.from({ length: l4 }, (_, i) => 100 + i),
      inAddrs6: Array.from({ length: v6 }, (_, i) => a6(i)),
      localAddrs6: Array.from({ length: l6 }, (_, i) => a6(100 + i)),
    });
    t.equal(
      classicCheckError(p),
      null,
      `${v4}+${l4} IPv4 and ${v6}+${l6} IPv6 addresses: ${p.length / 2} instructions`,
    );
  }
});

t.test('an IPv6 address costs nine instructions, an IPv4 address two', async (t) => {
  const base = fanoutProgram({ inAddrs: [], localAddrs: [] }).length / 2;
  const v4 = fanoutProgram({ inAddrs: [1, 2], localAddrs: [] }).length / 2;
  const v6 = fanoutProgram({ inAddrs: [], localAddrs: [], inAddrs6: [c6, c6], localAddrs6: [c6] }).length / 2;
  t.equal(v4 - base, 4);
  t.equal(v6 - base, 27);
  t.ok(base < 200, `${base} instructions without addresses`);
});
