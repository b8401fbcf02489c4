import t from 'tap';
import { DROP_BAD_L4_HEADER, DROP_NONE, DROP_SHORT_FRAME } from '../../src/lib/drops.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { TCP_ACK, TCP_SYN } from '../../src/packet/tcp.ts';
import { buildFrame, fromHex, ipToU32 } from '../helpers/frames.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';
import { loadGolden, loadKernelFrames } from '../fixtures/packets/golden.ts';

/** Every numeric field of a ParsedFrame, as a plain record (for comparing two parses). */
function snapshot(f: ParsedFrame, base: number): Record<string, number> {
  const r: Record<string, number> = {};
  for (const [k, v] of Object.entries(f)) {
    // Absolute offsets are relative to the buffer: normalise to the frame start.
    const isOffset = /(^l3Off|^l4Off|CsumOff|payloadOff|^inner(L3|L4)Off|^arp...Off|^frameOff)$/.test(k);
    r[k] = isOffset && (v as number) >= 0 ? (v as number) - base : (v as number);
  }
  return r;
}

const samples = [
  buildFrame({
    src: '192.168.88.20',
    dst: '192.168.88.5',
    proto: 'tcp',
    sport: 40001,
    dport: 80,
    flags: 'S',
    tcpOptions: Buffer.from('020405b4', 'hex'),
  }),
  buildFrame({
    src: '192.168.88.20',
    dst: '192.168.88.5',
    proto: 'udp',
    sport: 53000,
    dport: 53,
    payload: 'query',
    vlan: 42,
  }),
  buildFrame({
    src: '192.168.88.20',
    dst: '192.168.88.5',
    proto: 'icmp',
    icmpType: 8,
    payload: 'ping',
    ipOptions: Buffer.from([1, 1, 1, 0]),
  }),
  buildFrame({
    src: '192.168.99.100',
    dst: '192.168.88.20',
    proto: 'icmp',
    icmpType: 3,
    icmpCode: 3,
    icmpRest: 0,
    payload: buildFrame({
      src: '192.168.88.20',
      dst: '192.168.99.100',
      proto: 'udp',
      sport: 1,
      dport: 2,
      payload: 'x',
    }).subarray(14),
  }),
];

t.test('a frame is parsed the same in place and as an exact copy, for every truncation', async (t) => {
  // The bytes after the frame are poisoned: if the parser looked past len, the results would differ.
  const a = new ParsedFrame();
  const b = new ParsedFrame();
  let compared = 0;
  for (const s of samples) {
    for (let len = 0; len <= s.length; len++) {
      const exact = Buffer.from(s.subarray(0, len));
      const big = Buffer.alloc(len + 80, 0xff);
      s.copy(big, 11, 0, len);
      const va = parseFrame(exact, 0, len, 0, a);
      const vb = parseFrame(big, 11, len, 0, b);
      if (va !== vb) t.fail(`len ${len}: verdict ${va} vs ${vb}`);
      t.same(snapshot(b, 11), snapshot(a, 0));
      compared++;
    }
  }
  t.ok(compared > 200, `${compared} truncations compared`);
});

t.test('random garbage never throws and always yields a known verdict', async (t) => {
  const rnd = new Mulberry32(99);
  const f = new ParsedFrame();
  const counts = new Map<number, number>();
  for (let n = 0; n < 20000; n++) {
    const len = Math.floor(rnd.next() * 120);
    const buf = Buffer.alloc(len);
    for (let i = 0; i < len; i++) buf[i] = Math.floor(rnd.next() * 256);
    // Bias towards IPv4 so the deeper parsers see garbage too.
    if (len > 14 && rnd.next() < 0.7) {
      buf[12] = 8;
      buf[13] = 0;
      buf[14] = 0x45;
    }
    const v = parseFrame(buf, 0, len, 0, f);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  t.ok([...counts.keys()].every((v) => v >= 0 && v <= 20));
  t.ok((counts.get(DROP_SHORT_FRAME) ?? 0) > 0);
});

t.test('a reused ParsedFrame keeps nothing from the previous frame', async (t) => {
  const f = new ParsedFrame();
  const err = samples[3]!;
  t.equal(parseFrame(err, 0, err.length, 0, f), DROP_NONE);
  t.equal(f.icmpIsError, 1);
  t.equal(f.innerSport, 1);
  const syn = samples[0]!;
  t.equal(parseFrame(syn, 0, syn.length, 0, f), DROP_NONE);
  t.same(
    [f.icmpIsError, f.innerL3Off, f.innerSport, f.innerSaddr, f.icmpType, f.vlanTci, f.csumPartial],
    [0, -1, 0, 0, 0, -1, 0],
  );
  t.equal(f.tcpFlags, TCP_SYN);
  t.equal(f.tcpHdrLen, 24);
  t.equal(parseFrame(syn, 0, 10, 0, f), DROP_SHORT_FRAME);
  t.same(
    [f.protocol, f.saddr, f.sport, f.l4Off, f.tcpFlags],
    [0, 0, 0, -1, 0],
    'a dropped frame leaves no stale L3/L4 fields',
  );
});

t.test('a reused ParsedFrame equals a fresh one after any sequence of frames', async (t) => {
  // Every golden and kernel-made frame (good and malformed), in a seeded random order.
  const inputs = [
    ...loadGolden().map((c) => ({ buf: fromHex(c.input), rx: c.rxFlags })),
    ...loadKernelFrames().map((k) => ({ buf: fromHex(k.input), rx: k.rxFlags })),
  ];
  const rnd = new Mulberry32(7);
  const reused = new ParsedFrame();
  let differ = 0;
  for (let n = 0; n < 5000; n++) {
    const { buf, rx } = inputs[Math.floor(rnd.next() * inputs.length)]!;
    const fresh = new ParsedFrame();
    const v1 = parseFrame(buf, 0, buf.length, rx, reused);
    const v2 = parseFrame(buf, 0, buf.length, rx, fresh);
    if (v1 !== v2 || JSON.stringify(snapshot(reused, 0)) !== JSON.stringify(snapshot(fresh, 0))) differ++;
  }
  t.equal(differ, 0);
  t.ok(inputs.length > 50);
});

t.test('rx flags set csumPartial and gso', async (t) => {
  const f = new ParsedFrame();
  const syn = samples[0]!;
  parseFrame(syn, 0, syn.length, 0x01 | 0x04, f);
  t.same([f.csumPartial, f.gso, f.rxFlags], [1, 1, 5]);
  parseFrame(syn, 0, syn.length, 0x08, f);
  t.same([f.csumPartial, f.gso, f.rxFlags], [0, 0, 8]);
});

t.test('a TCP first fragment whose header is cut is a bad L4 header', async (t) => {
  const fr = buildFrame({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    proto: 6,
    mf: true,
    rawL4: Buffer.from('9c41005000000001', 'hex'),
  });
  const f = new ParsedFrame();
  t.equal(parseFrame(fr, 0, fr.length, 0, f), DROP_BAD_L4_HEADER);
  t.equal(f.moreFrags, 1);
});

t.test('addresses are host-order uint32', async (t) => {
  const fr = buildFrame({ src: '192.168.99.100', dst: '255.255.255.254', proto: 'tcp', flags: 'A' });
  const f = new ParsedFrame();
  parseFrame(fr, 0, fr.length, 0, f);
  t.equal(f.saddr, 0xc0a86364);
  t.equal(f.daddr, ipToU32('255.255.255.254'));
  t.equal(f.tcpFlags, TCP_ACK);
});
