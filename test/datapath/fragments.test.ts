// Fragmented IPv4 datagrams through the director (src/datapath/frag-track.ts): every fragment
// follows the connection of its first one, and the fragments that leave reassemble into the
// datagram NAT'd whole, as IPVS sends it after nf_defrag_ipv4. Fragments are cut and put back
// together here by hand (RFC 791), the expected datagram built with test/helpers/frames.ts.
import t from 'tap';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DROP_FRAGMENT } from '../../src/lib/drops.ts';
import { TCP_S_ESTABLISHED } from '../../src/conn/proto-tcp.ts';
import { buildFrame, hex, ipToU32, type FrameSpec } from '../helpers/frames.ts';
import { expectedIpChecksum, verifyIpChecksum, verifyL4Checksum } from '../helpers/frame-checks.ts';
import { CIP, CMAC, engineLab, LIP, LVS0, LVS1, RIP1, RIP2, VIP, W1MAC, W2MAC } from '../helpers/engine-lab.ts';

const L3 = 14;

function lab(proto: number, fullNat = false) {
  return engineLab({
    proto,
    fullNat,
    dests: [
      { ip: RIP1, mac: W1MAC, weight: 1 },
      { ip: RIP2, mac: W2MAC, weight: 1 },
    ],
  });
}

function setIpChecksum(f: Buffer): void {
  f.writeUInt16BE(0, L3 + 10);
  f.writeUInt16BE(expectedIpChecksum(f), L3 + 10);
}

/** Cut a whole IPv4 frame into fragments of at most mtu IP bytes, first fragment first. */
function fragment4(frame: Buffer, mtu: number): Buffer[] {
  const ihl = (frame[L3]! & 15) * 4;
  const data = frame.subarray(L3 + ihl, L3 + frame.readUInt16BE(L3 + 2));
  const step = ((mtu - ihl) >> 3) << 3;
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += step) {
    const chunk = data.subarray(off, Math.min(off + step, data.length));
    const f = Buffer.concat([frame.subarray(0, L3 + ihl), chunk]);
    f.writeUInt16BE(ihl + chunk.length, L3 + 2);
    f.writeUInt16BE((off + step < data.length ? 0x2000 : 0) | (off >> 3), L3 + 6);
    setIpChecksum(f);
    out.push(f);
  }
  return out;
}

/** Put fragments back together in offset order: the header of the first, the data of all. */
function reassemble4(frags: readonly Buffer[]): Buffer {
  const offOf = (f: Buffer): number => (f.readUInt16BE(L3 + 6) & 0x1fff) << 3;
  const sorted = [...frags].sort((a, b) => offOf(a) - offOf(b));
  const first = sorted[0]!;
  const ihl = (first[L3]! & 15) * 4;
  const data = sorted.map((f) => f.subarray(L3 + ihl, L3 + f.readUInt16BE(L3 + 2)));
  const whole = Buffer.concat([first.subarray(0, L3 + ihl), ...data]);
  whole.writeUInt16BE(whole.length - L3, L3 + 2);
  whole.writeUInt16BE(0, L3 + 6);
  setIpChecksum(whole);
  return whole;
}

const payload = Buffer.alloc(3000, 0).map((_, i) => (i * 7 + 3) & 0xff);

const query: FrameSpec = {
  dstMac: LVS0,
  srcMac: CMAC,
  src: CIP,
  dst: VIP,
  proto: 'udp',
  sport: 5353,
  dport: 80,
  id: 0x1234,
  ttl: 64,
  payload,
};

/** web2's answer to the query, sent to the address and port it saw the query come from. */
function replyTo(dst: string, dport: number): FrameSpec {
  return { ...query, dstMac: LVS1, srcMac: W2MAC, src: RIP2, dst, sport: 80, dport, id: 0x4321 };
}

t.test(
  'a UDP datagram in three fragments leaves as three fragments that reassemble into the datagram NATed whole',
  async (t) => {
    const { io, engine } = lab(IPPROTO_UDP);
    const frags = fragment4(buildFrame(query), 1500);
    t.equal(frags.length, 3);
    for (const f of frags) io.inject(0, f);
    io.deliver();
    t.equal(io.sent.length, 3, 'every fragment forwarded');
    t.same(
      io.sent.map((s) => s.port),
      [1, 1, 1],
    );
    t.same(
      io.sent.map((s) => s.frame.length),
      frags.map((f) => f.length),
      'sizes kept: nothing is fragmented again',
    );
    t.ok(
      io.sent.every((s) => verifyIpChecksum(s.frame)),
      'each IP header checksum verifies',
    );
    const got = reassemble4(io.sent.map((s) => s.frame));
    // rr over the scan order: web2 was added last, so it is the list head and picked first.
    const want = buildFrame({ ...query, dstMac: W2MAC, srcMac: LVS1, dst: RIP2, ttl: 63 });
    t.equal(hex(got), hex(want), 'the reassembled datagram is the whole one NATed: UDP checksum over all 3000 bytes');
    t.equal(engine.conns.count, 1, 'one connection for the datagram');
    t.equal(engine.pipeline.frags.recorded, 1);
    t.equal(engine.pipeline.frags.matched, 2);

    io.sent.length = 0;
    const reply = replyTo(CIP, 5353);
    for (const f of fragment4(buildFrame(reply), 1500)) io.inject(1, f);
    io.deliver();
    t.equal(io.sent.length, 3, 'the fragmented reply is forwarded');
    t.same(
      io.sent.map((s) => s.port),
      [0, 0, 0],
    );
    const back = buildFrame({ ...reply, dstMac: CMAC, srcMac: LVS0, src: VIP, ttl: 63 });
    t.equal(hex(reassemble4(io.sent.map((s) => s.frame))), hex(back), 'the reply reassembles as from VIP:80');
    t.equal(engine.drops.total(), 0);
  },
);

t.test('a later fragment before its first one is a counted fragment drop; nothing is scheduled from it', async (t) => {
  const { io, engine } = lab(IPPROTO_UDP);
  const frags = fragment4(buildFrame(query), 1500);
  io.inject(0, frags[1]!);
  io.deliver();
  t.equal(io.sent.length, 0);
  t.equal(engine.drops.get(DROP_FRAGMENT), 1);
  t.equal(engine.conns.count, 0);
  // The same datagram in order afterwards goes through (a retransmission, as a resolver would).
  for (const f of frags) io.inject(0, f);
  io.deliver();
  t.equal(io.sent.length, 3);
  t.equal(engine.drops.get(DROP_FRAGMENT), 1);
});

t.test('full NAT: fragments get both ends rewritten and reassemble with the datagram checksum right', async (t) => {
  const { io, engine } = lab(IPPROTO_UDP, true);
  for (const f of fragment4(buildFrame(query), 1500)) io.inject(0, f);
  io.deliver();
  t.equal(io.sent.length, 3);
  const got = reassemble4(io.sent.map((s) => s.frame));
  t.ok(verifyIpChecksum(got) && verifyL4Checksum(got), 'UDP checksum verifies over the whole datagram');
  t.equal(got.subarray(L3 + 12, L3 + 16).join('.'), LIP, 'from the local address');
  t.equal(got.subarray(L3 + 16, L3 + 20).join('.'), RIP2);
  const lport = got.readUInt16BE(L3 + 20);
  t.ok(
    io.sent.every((s) => s.frame.subarray(L3 + 12, L3 + 16).join('.') === LIP),
    'every fragment from LIP',
  );
  t.equal(hex(got.subarray(L3 + 28)), hex(payload));

  io.sent.length = 0;
  const reply = replyTo(LIP, lport);
  for (const f of fragment4(buildFrame(reply), 1500)) io.inject(1, f);
  io.deliver();
  t.equal(io.sent.length, 3);
  const back = buildFrame({ ...reply, dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, dport: 5353, ttl: 63 });
  t.equal(hex(reassemble4(io.sent.map((s) => s.frame))), hex(back), 'back to the client from VIP:80');
  t.equal(engine.drops.total(), 0);
});

t.test(
  'TCP: the later fragments of a segment leave the connection ESTABLISHED (no flags, no state step)',
  async (t) => {
    const { io, engine } = lab(IPPROTO_TCP);
    const c: FrameSpec = {
      dstMac: LVS0,
      srcMac: CMAC,
      src: CIP,
      dst: VIP,
      proto: 'tcp',
      sport: 40000,
      dport: 80,
      ttl: 64,
    };
    const s: FrameSpec = {
      dstMac: LVS1,
      srcMac: W2MAC,
      src: RIP2,
      dst: CIP,
      proto: 'tcp',
      sport: 80,
      dport: 40000,
      ttl: 64,
    };
    io.inject(0, buildFrame({ ...c, flags: 'S', seq: 1000 }));
    io.inject(1, buildFrame({ ...s, flags: 'SA', seq: 5000, ack: 1001 }));
    io.inject(0, buildFrame({ ...c, flags: 'A', seq: 1001, ack: 5001 }));
    io.deliver();
    t.equal(engine.conns.count, 1);
    const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP) | 0, 40000, ipToU32(VIP) | 0, 80);
    t.ok(id >= 0);
    const state = (): number => engine.conns.table.state[id]!;
    t.equal(state(), TCP_S_ESTABLISHED);
    io.sent.length = 0;
    const seg = buildFrame({ ...c, flags: 'PA', seq: 1001, ack: 5001, id: 77, payload });
    for (const f of fragment4(seg, 1500)) io.inject(0, f);
    io.deliver();
    t.equal(io.sent.length, 3);
    t.equal(state(), TCP_S_ESTABLISHED, 'still ESTABLISHED (a flagless TCP packet would move it to CLOSE)');
    const want = buildFrame({
      ...c,
      flags: 'PA',
      seq: 1001,
      ack: 5001,
      id: 77,
      payload,
      dstMac: W2MAC,
      srcMac: LVS1,
      dst: RIP2,
      ttl: 63,
    });
    t.equal(
      hex(reassemble4(io.sent.map((x) => x.frame))),
      hex(want),
      'the segment reassembles NATed, TCP checksum right',
    );
  },
);
