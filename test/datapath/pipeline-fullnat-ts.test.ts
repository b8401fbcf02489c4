// Full NAT TCP timestamp translation end to end (src/nat/tcp-timestamp.ts wired into the
// pipeline): client SYN -> real server carries the director's clock as TSval, the real server's
// echoes go back to the client as its own TSvals, and a reused local port's next SYN carries a
// TSval newer than the previous connection's, so the real server's TIME_WAIT accepts it.
// Expected frames are built from scratch by test/helpers/frames.ts (its own checksums).

import t, { type Test } from 'tap';
import type { SentFrame } from '../../src/io/memory-io.ts';
import { RXF_CSUM_PARTIAL } from '../../src/packet/rx-flags.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DROP_PORTS_EXHAUSTED } from '../../src/lib/drops.ts';
import { CIP, CMAC, engineLab, LIP, LVS0, LVS1, VIP } from '../helpers/engine-lab.ts';
import { buildFrame, hex, ipToU32, type FrameSpec } from '../helpers/frames.ts';
import { verifyIpChecksum, verifyL4Checksum, verifyPartialChecksum } from '../helpers/frame-checks.ts';

const W1MAC = '02:00:00:00:99:64';
const RIP = '192.168.99.100';
const LPORT = 40000;

/** 2026-01-01T00:00:00.123Z: a wall-clock nowMs, far above 2^32. */
const T0 = 1_767_225_600_123;

const mod32 = (v: number): number => v % 2 ** 32;
/** The kernel's after(a, b): (s32)(a - b) > 0, the comparison PAWS and TIME_WAIT use. */
const after = (a: number, b: number): boolean => ((a - b) | 0) > 0;

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Linux SYN / SYN-ACK options: MSS, SACK_PERM, TS, NOP, WS. */
function synOpts(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...be32(tsval), ...be32(tsecr), 1, 3, 3, 7]);
}

/** Later segments: NOP, NOP, TS. */
function dataOpts(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([1, 1, 8, 10, ...be32(tsval), ...be32(tsecr)]);
}

/** A server that puts window scale first: TSval at an odd offset (25), TSecr at 29. */
function oddOpts(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([3, 3, 7, 8, 10, ...be32(tsval), ...be32(tsecr), 1, 1, 1]);
}

function lab(opts: { fullNat: boolean; start?: number; lport?: boolean }) {
  // One real server, so every connection meets the same TIME_WAIT table; a one-port pool, so the
  // second connection must get the first one's local port back.
  const { io, engine, learn, now, advance } = engineLab({
    dests: [{ ip: RIP, mac: W1MAC, weight: 1 }],
    fullNat: opts.fullNat,
    connCapacity: 64,
    startMs: opts.start ?? T0,
    ...(opts.lport === false ? {} : { conn: { lportMin: LPORT, lportMax: LPORT } }),
  });
  /** Inject one frame, deliver, and return the one frame the director sent for it. */
  const send = (port: number, spec: FrameSpec, flags = 0): SentFrame => {
    io.sent.length = 0;
    io.inject(port, buildFrame(spec), flags);
    io.deliver();
    if (io.sent.length !== 1) throw new Error(`expected one frame out, got ${io.sent.length}`);
    return io.sent[0]!;
  };
  return {
    io,
    engine,
    send,
    now,
    advance: (ms: number) => {
      advance(ms);
      learn();
    },
  };
}

function client(sport: number, flags: string, tcpOptions: Uint8Array, extra: Partial<FrameSpec> = {}): FrameSpec {
  return {
    dstMac: LVS0,
    srcMac: CMAC,
    src: CIP,
    dst: VIP,
    proto: 'tcp',
    sport,
    dport: 80,
    flags,
    seq: 1000,
    ack: 0,
    ttl: 64,
    window: 64240,
    tcpOptions,
    ...extra,
  };
}

function server(
  dst: string,
  dport: number,
  flags: string,
  tcpOptions: Uint8Array,
  extra: Partial<FrameSpec> = {},
): FrameSpec {
  return {
    dstMac: LVS1,
    srcMac: W1MAC,
    src: RIP,
    dst,
    proto: 'tcp',
    sport: 80,
    dport,
    flags,
    seq: 7000,
    ack: 1001,
    ttl: 64,
    window: 65160,
    tcpOptions,
    ...extra,
  };
}

/** What leaves toward the real server for a client segment, in full NAT. */
function toServer(spec: FrameSpec, tcpOptions: Uint8Array): FrameSpec {
  return { ...spec, dstMac: W1MAC, srcMac: LVS1, src: LIP, sport: LPORT, dst: RIP, ttl: 63, tcpOptions };
}

/** What leaves toward the client for a real server segment, in full NAT. */
function toClient(spec: FrameSpec, cport: number, tcpOptions: Uint8Array): FrameSpec {
  return { ...spec, dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, dport: cport, ttl: 63, tcpOptions };
}

function checksOk(frame: Buffer): boolean {
  return verifyIpChecksum(frame) && verifyL4Checksum(frame);
}

t.test(
  'full NAT: the SYN carries the director clock, the client gets its own TSvals back, and a reused port SYN is newer',
  async (t) => {
    const { io, engine, send, advance, now } = lab({ fullNat: true });
    const C1 = 0xfffffff0; // the client's clock wraps during the connection
    const S1 = 0x0badf00d;
    const CP1 = 50001;

    // SYN: TSval becomes nowMs mod 2^32.
    const syn = client(CP1, 'S', synOpts(C1, 0));
    const o1 = send(0, syn);
    t.equal(o1.port, 1);
    t.equal(hex(o1.frame), hex(buildFrame(toServer(syn, synOpts(mod32(T0), 0)))));
    t.ok(checksOk(o1.frame));
    t.equal(o1.frame.readUInt32BE(14 + 20 + 28), 0x76daa87b, 'T0 mod 2^32');
    const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), CP1, ipToU32(VIP), 80);
    t.equal(engine.conns.table.lport[id], LPORT);
    t.equal(engine.conns.table.tsDelta[id], Number(BigInt.asIntN(32, BigInt(T0) - BigInt(C1))));

    // SYN-ACK to the local address: TSecr becomes the client's original TSval.
    advance(1);
    const synack = server(LIP, LPORT, 'SA', synOpts(S1, mod32(T0)));
    const o2 = send(1, synack);
    t.equal(o2.port, 0);
    t.equal(hex(o2.frame), hex(buildFrame(toClient(synack, CP1, synOpts(S1, C1)))));
    t.ok(checksOk(o2.frame));

    // The client's ACK with data, 2 ms after its SYN: TSval shifted by the same delta.
    advance(1);
    const data = client(CP1, 'PA', dataOpts(C1 + 2, S1), {
      seq: 1001,
      ack: 7001,
      payload: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
    });
    const o3 = send(0, data);
    t.equal(hex(o3.frame), hex(buildFrame(toServer(data, dataOpts(mod32(T0 + 2), S1)))));
    t.ok(checksOk(o3.frame));

    // The server's response echoes the translated TSval; the client sees its own, at the odd offset too.
    advance(1);
    const resp = server(LIP, LPORT, 'PA', oddOpts(S1 + 3, mod32(T0 + 2)), {
      seq: 7001,
      ack: 1028,
      payload: 'HTTP/1.1 200 OK\r\n\r\n!',
    });
    const o4 = send(1, resp);
    t.equal(hex(o4.frame), hex(buildFrame(toClient(resp, CP1, oddOpts(S1 + 3, C1 + 2)))));
    t.ok(checksOk(o4.frame));

    // Close 30 ms in: the client's TSval has wrapped (0xfffffff0 + 30 = 0x0e); the server's has not.
    advance(27);
    const fin = client(CP1, 'FA', dataOpts(mod32(C1 + 30), S1 + 3), { seq: 1028, ack: 7021 });
    const o5 = send(0, fin);
    t.equal(hex(o5.frame), hex(buildFrame(toServer(fin, dataOpts(mod32(T0 + 30), S1 + 3)))));
    advance(1);
    const sfin = server(LIP, LPORT, 'FA', dataOpts(S1 + 31, mod32(T0 + 30)), { seq: 7021, ack: 1029 });
    t.equal(hex(send(1, sfin).frame), hex(buildFrame(toClient(sfin, CP1, dataOpts(S1 + 31, mod32(C1 + 30))))));
    advance(1);
    const last = client(CP1, 'A', dataOpts(mod32(C1 + 32), S1 + 31), { seq: 1029, ack: 7022 });
    const o6 = send(0, last);
    const lastSeen = o6.frame.readUInt32BE(14 + 20 + 24);
    t.equal(lastSeen, mod32(T0 + 32), 'the last TSval the real server saw from connection 1');
    t.equal(now(), T0 + 32);

    // While connection 1 holds the only local port, a new client is refused.
    io.sent.length = 0;
    io.inject(0, buildFrame(client(50002, 'S', synOpts(0x1234, 0))));
    io.deliver();
    t.equal(io.sent.length, 0);
    t.equal(engine.drops.get(DROP_PORTS_EXHAUSTED), 1);

    // Let connection 1 expire on the director (TIME_WAIT 120 s); the real server may still hold it.
    advance(125_000);
    for (let i = 0; i < 10 && engine.conns.count > 0; i++) engine.tick();
    t.equal(engine.conns.count, 0);

    // Connection 2: another client port, a TSval from a completely different clock.
    const C2 = 0x00001234;
    const CP2 = 50002;
    t.ok(after(lastSeen, C2), 'without translation the real server would see an older TSval (PAWS reject)');
    const T1 = now();
    const syn2 = client(CP2, 'S', synOpts(C2, 0), { seq: 90000 });
    const o7 = send(0, syn2);
    t.equal(
      hex(o7.frame),
      hex(buildFrame(toServer(syn2, synOpts(mod32(T1), 0)))),
      'same local port, TSval = T1 mod 2^32',
    );
    t.ok(checksOk(o7.frame));
    const seen2 = o7.frame.readUInt32BE(14 + 20 + 28);
    t.ok(seen2 > lastSeen, 'plain comparison: newer');
    t.ok(after(seen2, lastSeen), 'serial-number comparison as tcp_timewait_state_process() does it');

    // Its SYN-ACK goes back to the new client with the new client's TSval.
    const synack2 = server(LIP, LPORT, 'SA', synOpts(0x5555, mod32(T1)), { ack: 90001 });
    t.equal(hex(send(1, synack2).frame), hex(buildFrame(toClient(synack2, CP2, synOpts(0x5555, C2)))));
  },
);

t.test('full NAT across a 2^32 ms boundary: the reused port SYN is newer in serial-number arithmetic', async (t) => {
  // 411 * 2^32 + 0xffffff00: the director's clock mod 2^32 wraps between the two connections.
  const start = 411 * 2 ** 32 + 0xffffff00;
  const { engine, send, advance, now } = lab({ fullNat: true, start });
  const syn = client(50001, 'S', synOpts(0x80000000, 0));
  t.equal(send(0, syn).frame.readUInt32BE(14 + 20 + 28), 0xffffff00);
  advance(100);
  const ack = client(50001, 'A', dataOpts(0x80000064, 0x1111), { seq: 1001, ack: 7001 });
  const lastSeen = send(0, ack).frame.readUInt32BE(14 + 20 + 24);
  t.equal(lastSeen, 0xffffff64);
  const rst = client(50001, 'R', dataOpts(0x80000065, 0x1111), { seq: 1001, ack: 0 });
  send(0, rst);
  advance(20_000); // CLOSE times out after 10 s
  for (let i = 0; i < 10 && engine.conns.count > 0; i++) engine.tick();
  t.equal(engine.conns.count, 0);
  const syn2 = client(50002, 'S', synOpts(0x7fffffff, 0));
  const o = send(0, syn2);
  const seen = o.frame.readUInt32BE(14 + 20 + 28);
  t.equal(o.frame.readUInt16BE(14 + 20), LPORT);
  t.equal(seen, mod32(now()));
  t.ok(seen < lastSeen, 'the 32-bit value wrapped...');
  t.ok(after(seen, lastSeen), '...and is still newer the way the kernel compares TSvals');
  t.ok(checksOk(o.frame));
});

t.test('full NAT: a retransmitted SYN keeps the delta picked at the first SYN', async (t) => {
  const { engine, send, advance } = lab({ fullNat: true });
  const syn = client(50001, 'S', synOpts(0x1000, 0));
  t.equal(send(0, syn).frame.readUInt32BE(14 + 20 + 28), mod32(T0));
  // Retransmitted 1003 ms later with a TSval only 1000 ms later: same delta, not a new one.
  advance(1003);
  const again = client(50001, 'S', synOpts(0x1000 + 1000, 0));
  const o = send(0, again);
  t.equal(hex(o.frame), hex(buildFrame(toServer(again, synOpts(mod32(T0 + 1000), 0)))));
  const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), 50001, ipToU32(VIP), 80);
  t.equal(engine.conns.table.tsDelta[id], (T0 % 2 ** 32) - 0x1000);
});

t.test('full NAT with a partial checksum: TSval translated, checksum field left the pseudo-header sum', async (t) => {
  const { send } = lab({ fullNat: true });
  const syn = client(50001, 'S', oddOpts(0x00c0ffee, 0), { partialCsum: true });
  const o = send(0, syn, RXF_CSUM_PARTIAL);
  t.equal(hex(o.frame), hex(buildFrame(toServer(syn, oddOpts(mod32(T0), 0)))));
  t.ok(verifyPartialChecksum(o.frame));
});

t.test('full NAT SYN without a TS option: only the NAT fields change, and no TS is translated later', async (t) => {
  const { engine, send, advance } = lab({ fullNat: true });
  const noTs = Uint8Array.from([2, 4, 0x05, 0xb4, 1, 3, 3, 7]);
  const syn = client(50001, 'S', noTs);
  const o1 = send(0, syn);
  t.equal(hex(o1.frame), hex(buildFrame(toServer(syn, noTs))));
  const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), 50001, ipToU32(VIP), 80);
  t.equal(engine.conns.table.tsDelta[id], 0);
  advance(5);
  // Even if TS options show up later, delta 0 means they pass untouched.
  const synack = server(LIP, LPORT, 'SA', dataOpts(0x4444, 0x3333));
  t.equal(hex(send(1, synack).frame), hex(buildFrame(toClient(synack, 50001, dataOpts(0x4444, 0x3333)))));
  const data = client(50001, 'A', dataOpts(0x2222, 0x4444), { seq: 1001, ack: 7001, payload: 'x' });
  t.equal(hex(send(0, data).frame), hex(buildFrame(toServer(data, dataOpts(0x2222, 0x4444)))));
});

t.test('classic NAT (-m) keeps the TS bytes untouched in both directions', async (t) => {
  const { engine, send, advance } = lab({ fullNat: false, lport: false });
  const syn = client(50001, 'S', synOpts(0xfffffff0, 0));
  const o1 = send(0, syn);
  t.equal(hex(o1.frame), hex(buildFrame({ ...syn, dstMac: W1MAC, srcMac: LVS1, dst: RIP, ttl: 63 })));
  const id = engine.conns.lookupIn(IPPROTO_TCP, ipToU32(CIP), 50001, ipToU32(VIP), 80);
  t.equal(engine.conns.table.tsDelta[id], 0);
  advance(1);
  const synack = server(CIP, 50001, 'SA', synOpts(0x0badf00d, 0xfffffff0));
  const o2 = send(1, synack);
  t.equal(hex(o2.frame), hex(buildFrame({ ...synack, dstMac: CMAC, srcMac: LVS0, src: VIP, ttl: 63 })));
  advance(1);
  const data = client(50001, 'PA', dataOpts(0xfffffff2, 0x0badf00d), { seq: 1001, ack: 7001, payload: 'hi' });
  t.equal(hex(send(0, data).frame), hex(buildFrame({ ...data, dstMac: W1MAC, srcMac: LVS1, dst: RIP, ttl: 63 })));
});

// The translated TSval of a connection advances at the CLIENT's clock rate, and the next SYN on the
// same local port starts from the director's wall clock: a client clock faster than 1 ms per ms
// (Linux tcp_usec_ts routes send microseconds) or a wall clock stepped backwards (NTP step,
// settimeofday) would make the reused port's SYN older than what the real server's TIME_WAIT
// socket holds. The pipeline keeps per local port the newest TSval sent and starts the next
// connection on that port after it.

/** Connection 1 on LPORT ending with the client clock at `clientEndTs`, then connection 2's SYN. */
function reuseAfter(t: Test, c1Ts: number, c1EndTs: number, elapsedMs: number, stepMs: number): void {
  const { engine, send, advance } = lab({ fullNat: true });
  send(0, client(50001, 'S', synOpts(c1Ts, 0)));
  advance(elapsedMs);
  const lastSeen = send(0, client(50001, 'A', dataOpts(c1EndTs, 0x1111), { seq: 1001, ack: 7001 })).frame.readUInt32BE(
    14 + 20 + 24,
  );
  send(0, client(50001, 'R', dataOpts(c1EndTs, 0x1111), { seq: 1001, ack: 0 }));
  advance(20_000);
  for (let i = 0; i < 10 && engine.conns.count > 0; i++) engine.tick();
  t.equal(engine.conns.count, 0);
  advance(stepMs);
  const o = send(0, client(50002, 'S', synOpts(0x1234, 0)));
  t.equal(o.frame.readUInt16BE(14 + 20), LPORT);
  const seen = o.frame.readUInt32BE(14 + 20 + 28);
  t.ok(after(seen, lastSeen), `reused port SYN TSval ${seen} after the last one the server saw, ${lastSeen}`);
}

t.test('a client with a microsecond TS clock still gets a newer TSval on the reused port', async (t) => {
  reuseAfter(t, 0x10000000, 0x10000000 + 10_000_000, 10_000, 0); // 10 s of microseconds
});

t.test('a wall clock stepped back 60 s between connections still gives a newer TSval', async (t) => {
  reuseAfter(t, 0x10000000, 0x10000000 + 1000, 1000, -60_000);
});
