// Full NAT TCP timestamp translation (src/nat/tcp-timestamp.ts): the option walk, the delta taken
// at the SYN, and the incremental checksum update, checked against frames built from scratch by
// test/helpers/frames.ts (its own naive RFC 1071 checksum) and against BigInt modular arithmetic.

import t from 'tap';
import { DROP_NONE } from '../../src/lib/drops.ts';
import { RXF_CSUM_PARTIAL } from '../../src/packet/rx-flags.ts';
import {
  addToTcpWord,
  tsDeltaForSyn,
  tsOptionOff,
  tsTranslateIn,
  tsTranslateOut,
} from '../../src/nat/tcp-timestamp.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { buildFrame, hex, type FrameSpec } from '../helpers/frames.ts';
import {
  expectedL4Checksum,
  l4ChecksumField,
  verifyL4Checksum,
  verifyPartialChecksum,
} from '../helpers/frame-checks.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

// ---------------------------------------------------------------------------------------------
// Option layouts (TSval offset from the start of the TCP header in the comments)

function be32(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function ts(tsval: number, tsecr: number): number[] {
  return [8, 10, ...be32(tsval), ...be32(tsecr)];
}

/** What Linux puts in a SYN: MSS, SACK_PERM, TS, NOP, WS (TSval at 28). */
function linuxSyn(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([2, 4, 0x05, 0xb4, 4, 2, ...ts(tsval, tsecr), 1, 3, 3, 7]);
}

/** What Linux puts in every later segment: NOP, NOP, TS (TSval at 24). */
function dataOpts(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([1, 1, ...ts(tsval, tsecr)]);
}

/** Window scale first, then TS, so the TSval sits at an odd offset (25) from the TCP header. */
function wsFirst(tsval: number, tsecr: number): Uint8Array {
  return Uint8Array.from([3, 3, 7, ...ts(tsval, tsecr), 1, 1, 1]);
}

const CIP = '192.168.88.10';
const VIP = '192.168.88.5';

function tcp(opts: Uint8Array | number[] | undefined, extra: Partial<FrameSpec> = {}): FrameSpec {
  const spec: FrameSpec = {
    src: CIP,
    dst: VIP,
    proto: 'tcp',
    sport: 40123,
    dport: 80,
    flags: 'A',
    seq: 1,
    ack: 2,
    ttl: 64,
    ...extra,
  };
  if (opts !== undefined) spec.tcpOptions = Uint8Array.from(opts);
  return spec;
}

function parsed(frame: Uint8Array, flags = 0, off = 0, len = frame.length - off): ParsedFrame {
  const f = new ParsedFrame();
  const v = parseFrame(frame, off, len, flags, f);
  if (v !== DROP_NONE) throw new Error(`verdict ${v} for ${hex(frame)}`);
  return f;
}

/** TCP header offset of the frames buildFrame makes (untagged, no IP options). */
const L4 = 14 + 20;

// ---------------------------------------------------------------------------------------------
// tsOptionOff

t.test(
  'tsOptionOff finds the TSval of a Linux SYN (MSS, SACK_PERM, TS, NOP, WS) 28 bytes into the TCP header',
  async (t) => {
    const b = buildFrame(tcp(linuxSyn(0x11223344, 0), { flags: 'S' }));
    const f = parsed(b);
    t.equal(f.l4Off, L4);
    t.equal(tsOptionOff(b, f), L4 + 28);
    t.equal(b.readUInt32BE(L4 + 28), 0x11223344);
  },
);

t.test('tsOptionOff finds the TSval of a data segment (NOP, NOP, TS) 24 bytes into the TCP header', async (t) => {
  const b = buildFrame(tcp(dataOpts(0xdeadbeef, 0x01020304), { payload: 'hello' }));
  const f = parsed(b);
  t.equal(tsOptionOff(b, f), L4 + 24);
  t.equal(b.readUInt32BE(L4 + 28), 0x01020304, 'TSecr follows at +4');
});

t.test('tsOptionOff finds a TSval at an odd offset (25) after a window scale option', async (t) => {
  const b = buildFrame(tcp(wsFirst(0xcafef00d, 7)));
  t.equal(tsOptionOff(b, parsed(b)), L4 + 25);
});

t.test('tsOptionOff skips unknown options of any length >= 2 before the TS option', async (t) => {
  // MPTCP-ish kind 30 with length 4, then an experimental kind 253 with length 3, then TS.
  const b = buildFrame(tcp([30, 4, 0xaa, 0xbb, 253, 3, 0xcc, ...ts(5, 6), 1, 1, 1]));
  t.equal(tsOptionOff(b, parsed(b)), L4 + 20 + 4 + 3 + 2);
});

t.test('tsOptionOff also works with a VLAN tag, IP options and the frame at an odd buffer offset', async (t) => {
  const frame = buildFrame(tcp(dataOpts(1, 2), { vlan: 42, ipOptions: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]) }));
  const big = Buffer.alloc(frame.length + 3, 0xee);
  frame.copy(big, 3);
  const f = parsed(big, 0, 3, frame.length);
  t.equal(f.l4Off, 3 + 18 + 28);
  t.equal(tsOptionOff(big, f), 3 + 18 + 28 + 24);
});

t.test(
  'tsOptionOff returns -1 without options, after EOL, for a bad or truncated length, and for TS length != 10',
  async (t) => {
    const cases: [string, number[] | undefined, string?][] = [
      ['no options at all', undefined],
      ['only NOPs', [1, 1, 1, 1]],
      ['only MSS and NOPs', [2, 4, 5, 0xb4, 1, 1, 1, 1]],
      ['EOL before a well-formed TS', [1, 1, 0, 0, ...ts(1, 2), 1, 1]],
      ['EOL first', [0, ...ts(1, 2), 1]],
      ['TS kind in the last header byte', [1, 1, 1, 8], '0a0000000100000002'],
      ['TS whose 10 bytes run past the header (rest in the payload)', [1, 1, 8, 10], '0000000100000002'],
      ['an option with length 0 before TS', [30, 0, 1, 1, ...ts(1, 2), 1, 1]],
      ['an option with length 1 before TS', [30, 1, 1, 1, ...ts(1, 2), 1, 1]],
      ['an option longer than the header before TS', [30, 40, 1, 1, ...ts(1, 2), 1, 1]],
      ['TS with length 8', [1, 1, 8, 8, ...be32(1), 1, 1, 1, 1]],
      ['TS with length 12', [1, 1, 8, 12, ...be32(1), ...be32(2), 0, 0, 1, 1]],
      ['TS with length 2', [8, 2, 1, 1]],
    ];
    for (const [what, opts, payloadHex] of cases) {
      const spec = tcp(opts, payloadHex === undefined ? {} : { payload: Buffer.from(payloadHex, 'hex') });
      const b = buildFrame(spec);
      t.equal(tsOptionOff(b, parsed(b)), -1, what);
    }
  },
);

t.test('tsOptionOff returns -1 for UDP and ICMP whose payload looks like a TCP header with a TS option', async (t) => {
  const bait = Buffer.from(buildFrame(tcp(dataOpts(1, 2))).subarray(L4));
  for (const proto of ['udp', 'icmp'] as const) {
    const b = buildFrame({ src: CIP, dst: VIP, proto, sport: 1, dport: 2, payload: bait });
    t.equal(tsOptionOff(b, parsed(b)), -1, proto);
  }
});

t.test(
  'tsOptionOff returns -1 for a non-first fragment, even if its L4 fields were left from an earlier parse',
  async (t) => {
    const tcpBytes = Buffer.from(buildFrame(tcp(dataOpts(1, 2))).subarray(L4));
    const frag = buildFrame({ src: CIP, dst: VIP, proto: 6, payload: tcpBytes, fragOff: 1480 });
    const f = parsed(frag);
    t.equal(f.fragOff, 1480);
    t.equal(tsOptionOff(frag, f), -1);
    // The guard itself: a frame parsed as TCP, then marked as a later fragment.
    const b = buildFrame(tcp(dataOpts(1, 2)));
    const g = parsed(b);
    t.equal(tsOptionOff(b, g), L4 + 24);
    g.fragOff = 8;
    t.equal(tsOptionOff(b, g), -1);
  },
);

t.test('tsOptionOff returns -1 when the protocol is not TCP, even with TCP-looking L4 fields', async (t) => {
  const b = buildFrame(tcp(dataOpts(1, 2)));
  const f = parsed(b);
  t.equal(tsOptionOff(b, f), L4 + 24);
  for (const proto of [17, 1, 132]) {
    f.protocol = proto;
    t.equal(tsOptionOff(b, f), -1, `protocol ${proto}`);
  }
});

/** A Uint8Array whose index reads are recorded (tsOptionOff reads bytes by index only). */
function recording(b: Uint8Array): { buf: Uint8Array; reads: number[] } {
  const reads: number[] = [];
  const buf = new Proxy(b, {
    get(target, prop) {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) reads.push(Number(prop));
      return Reflect.get(target, prop) as unknown;
    },
  });
  return { buf, reads };
}

/** Independent reference walk (tcp_parse_options as specified for this module). */
function refWalk(opts: Uint8Array): number {
  let o = 0;
  while (o < opts.length) {
    const kind = opts[o]!;
    if (kind === 0) return -1;
    if (kind === 1) {
      o += 1;
      continue;
    }
    if (o + 1 >= opts.length) return -1;
    const len = opts[o + 1]!;
    if (len < 2 || o + len > opts.length) return -1;
    if (kind === 8) return len === 10 ? 20 + o + 2 : -1;
    o += len;
  }
  return -1;
}

t.test(
  'tsOptionOff never reads outside the TCP options and agrees with a reference walk on random option bytes',
  async (t) => {
    const rnd = new Mulberry32(0x7cd0f00d);
    const int = (n: number): number => Math.floor(rnd.next() * n);
    // Option bytes as a random stream of tokens: NOP, EOL, a good TS, a TS of another length, other
    // options with sane or silly lengths, random bytes; cut to the header's option space.
    const token = (): number[] => {
      const r = rnd.next();
      if (r < 0.25) return [1];
      if (r < 0.3) return [0];
      if (r < 0.45) return ts(int(0x100000000), int(0x100000000));
      if (r < 0.55) return [8, int(16)];
      if (r < 0.8) {
        const len = 2 + int(8);
        return [2 + int(6), len, ...new Array<number>(len - 2).fill(0x42)];
      }
      if (r < 0.9) return [30 + int(200), int(2)];
      return [int(256)];
    };
    let found = 0;
    let bad = 0;
    for (let i = 0; i < 3000; i++) {
      const optLen = 4 * (1 + int(10));
      const stream: number[] = [];
      while (stream.length < optLen) stream.push(...token());
      const opts = Uint8Array.from(stream.slice(0, optLen));
      // Payload bait: a complete TS option right after the header.
      const b = buildFrame(tcp(opts, { payload: Uint8Array.from(ts(0x99999999, 0x88888888)) }));
      const f = parsed(b);
      const { buf, reads } = recording(b);
      const got = tsOptionOff(buf, f);
      const want = refWalk(opts);
      if (got !== (want < 0 ? -1 : L4 + want)) {
        t.fail(`options ${hex(opts)}: got ${got}, want ${want}`);
        bad++;
        if (bad > 5) break;
      }
      const lo = Math.min(...reads);
      const hi = Math.max(...reads);
      if (reads.length > 0 && (lo < L4 + 20 || hi >= L4 + 20 + optLen)) {
        t.fail(
          `options ${hex(opts)}: read bytes [${lo - L4}, ${hi - L4}] of the TCP header (options end at ${20 + optLen})`,
        );
        bad++;
        if (bad > 5) break;
      }
      if (got >= 0) found++;
    }
    t.equal(bad, 0);
    t.ok(found > 300, `a fair share of the random headers hold a valid TS option (${found})`);
  },
);

// ---------------------------------------------------------------------------------------------
// addToTcpWord / tsTranslateIn / tsTranslateOut

t.test('tsTranslateIn adds delta to TSval with the checksum of a frame built from scratch (even offset)', async (t) => {
  const spec = tcp(dataOpts(0x10000000, 0x2222), { payload: 'GET / HTTP/1.1\r\n\r\n' });
  const b = buildFrame(spec);
  tsTranslateIn(b, parsed(b), 0x01234567);
  t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: dataOpts(0x11234567, 0x2222) })));
  t.ok(verifyL4Checksum(b));
});

t.test('tsTranslateIn keeps the checksum right when TSval starts at an odd offset', async (t) => {
  const spec = tcp(wsFirst(0xabcdef01, 0x55), { payload: 'odd' });
  const b = buildFrame(spec);
  tsTranslateIn(b, parsed(b), -0x1234567);
  t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: wsFirst((0xabcdef01 - 0x1234567) >>> 0, 0x55) })));
  t.equal(l4ChecksumField(b), expectedL4Checksum(b));
});

t.test('tsTranslateIn wraps TSval modulo 2^32', async (t) => {
  const spec = tcp(dataOpts(0xfffffffe, 0));
  const b = buildFrame(spec);
  tsTranslateIn(b, parsed(b), 5);
  t.equal(b.readUInt32BE(L4 + 24), 3);
  t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: dataOpts(3, 0) })));
  const c = buildFrame(tcp(dataOpts(2, 0)));
  tsTranslateIn(c, parsed(c), -5);
  t.equal(c.readUInt32BE(L4 + 24), 0xfffffffd);
  t.ok(verifyL4Checksum(c));
});

t.test('tsTranslateOut subtracts delta from TSecr of a segment with ACK, checksum recomputed equal', async (t) => {
  const spec = tcp(wsFirst(0x777, 0x80000005), { flags: 'SA', src: '192.168.99.100', dst: '192.168.99.6' });
  const b = buildFrame(spec);
  tsTranslateOut(b, parsed(b), 0x10);
  t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: wsFirst(0x777, 0x7ffffff5) })));
  const c = buildFrame({ ...spec, tcpOptions: dataOpts(0x777, 3) });
  tsTranslateOut(c, parsed(c), -0x80000000);
  t.equal(c.readUInt32BE(L4 + 28), 0x80000003, 'the most negative delta');
  t.ok(verifyL4Checksum(c));
});

t.test('tsTranslateOut leaves segments without ACK untouched (TSecr is only valid with ACK)', async (t) => {
  for (const flags of ['S', 'R', 'F', 'P', '']) {
    const b = buildFrame(tcp(dataOpts(0x1000, 0x2000), { flags: flags === '' ? 0 : flags }));
    const before = hex(b);
    tsTranslateOut(b, parsed(b), 12345);
    t.equal(hex(b), before, `flags '${flags}'`);
  }
});

t.test('tsTranslateIn/Out leave frames without a TS option, UDP and malformed options untouched', async (t) => {
  const frames = [
    buildFrame(tcp(undefined, { payload: 'x' })),
    buildFrame(tcp([2, 4, 5, 0xb4, 1, 3, 3, 7])),
    buildFrame(tcp([1, 1, 8, 12, ...be32(1), ...be32(2), 0, 0, 1, 1])),
    buildFrame({ src: CIP, dst: VIP, proto: 'udp', sport: 1, dport: 2, payload: Buffer.from(ts(1, 2)) }),
  ];
  for (const b of frames) {
    const before = hex(b);
    tsTranslateIn(b, parsed(b), 99);
    tsTranslateOut(b, parsed(b), 99);
    t.equal(hex(b), before);
  }
});

t.test(
  'partial checksum frames: only the four TS bytes change, the checksum field stays the pseudo-header sum',
  async (t) => {
    for (const [opts, at] of [
      [dataOpts, 24],
      [wsFirst, 25],
    ] as const) {
      const spec = tcp(opts(0x01020304, 0x0a0b0c0d), { partialCsum: true, payload: 'abcde' });
      const b = buildFrame(spec);
      const csum = l4ChecksumField(b);
      tsTranslateIn(b, parsed(b, RXF_CSUM_PARTIAL), 0x100);
      t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: opts(0x01020404, 0x0a0b0c0d) })), `TSval at ${at}`);
      t.equal(l4ChecksumField(b), csum);
      t.ok(verifyPartialChecksum(b));
      tsTranslateOut(b, parsed(b, RXF_CSUM_PARTIAL), 0x100);
      t.equal(hex(b), hex(buildFrame({ ...spec, tcpOptions: opts(0x01020404, 0x0a0b0b0d) })), `TSecr at ${at + 4}`);
      t.equal(l4ChecksumField(b), csum);
    }
  },
);

t.test('addToTcpWord updates any 32-bit TCP field (sequence number) and skips a zero change', async (t) => {
  const spec = tcp(undefined, { seq: 0xfffffff0, payload: 'data' });
  const b = buildFrame(spec);
  const f = parsed(b);
  addToTcpWord(b, f, L4 + 4, 0x20);
  t.equal(hex(b), hex(buildFrame({ ...spec, seq: 0x10 })));
  const before = hex(b);
  addToTcpWord(b, f, L4 + 4, 0);
  t.equal(hex(b), before);
});

/** One random TCP segment with a TS option somewhere in it, and the TSval offset from the header. */
interface Layout {
  before: number[];
  after: number[];
}

function randomLayout(int: (n: number) => number): Layout {
  const prefixes: number[][] = [
    [],
    [1],
    [1, 1],
    [1, 1, 1],
    [3, 3, 7],
    [2, 4, 5, 0xb4, 4, 2],
    [2, 4, 5, 0xb4],
    [4, 2],
    [1, 3, 3, 14],
    [30, 2],
    [30, 5, 1, 2, 3],
    [253, 6, 1, 2, 3, 4],
    [1, 1, 1, 3, 3, 9, 4, 2],
  ];
  const before = [...prefixes[int(prefixes.length)]!];
  const after: number[] = [];
  if (int(3) === 0) after.push(1, 3, 3, int(15));
  if (int(4) === 0) after.push(5, 10, ...be32(int(0x100000000)), ...be32(int(0x100000000)));
  while ((before.length + 10 + after.length) % 4 !== 0) after.push(int(2) === 0 ? 1 : 0);
  return { before, after };
}

t.test(
  'property: in/out translation equals a frame built from scratch, for random layouts, deltas and payloads',
  async (t) => {
    const CASES = 3000;
    const rnd = new Mulberry32(0x75d3147a);
    const int = (n: number): number => Math.floor(rnd.next() * n);
    const u32 = (): number =>
      rnd.next() < 0.15 ? (0xffffffff - int(64)) >>> 0 : rnd.next() < 0.05 ? int(64) : int(0x100000000) >>> 0;
    const specials = [1, -1, 0x7fffffff, -0x80000000, 0, 0x10000, -0x10000, 0xffff, -0xffff];
    const i32 = (): number => (rnd.next() < 0.1 ? specials[int(specials.length)]! : int(0x100000000) | 0);
    let odd = 0;
    let partials = 0;
    let noAck = 0;
    let bad = 0;
    for (let i = 0; i < CASES && bad < 5; i++) {
      const { before, after } = randomLayout(int);
      const tsval = u32();
      const tsecr = u32();
      const delta = i32();
      const partial = rnd.next() < 0.25;
      const dirIn = rnd.next() < 0.5;
      const flags = dirIn ? int(256) : rnd.next() < 0.1 ? int(256) & ~0x10 : int(256) | 0x10;
      const plen = rnd.next() < 0.05 ? 1400 + int(60) : int(257);
      const payload = Buffer.alloc(plen);
      for (let j = 0; j < plen; j++) payload[j] = int(256);
      const mk = (v: number, e: number): Uint8Array => Uint8Array.from([...before, ...ts(v, e), ...after]);
      const spec: FrameSpec = {
        src: `10.${int(256)}.${int(256)}.${int(256)}`,
        dst: `192.168.${int(256)}.${int(256)}`,
        proto: 'tcp',
        sport: int(0x10000),
        dport: int(0x10000),
        flags,
        seq: int(0x100000000) >>> 0,
        ack: int(0x100000000) >>> 0,
        window: int(0x10000),
        tcpOptions: mk(tsval, tsecr),
        payload,
        partialCsum: partial,
        ttl: 1 + int(255),
      };
      if (rnd.next() < 0.2) spec.vlan = int(0x1000);
      if (rnd.next() < 0.15) spec.ipOptions = new Uint8Array(4 * (1 + int(5))).fill(1);
      const frame = buildFrame(spec);
      // At a random offset in a bigger buffer: the word alignment must follow the TCP header.
      const shift = int(4);
      const big = Buffer.alloc(frame.length + 8, 0x5a);
      frame.copy(big, shift);
      const f = parsed(big, partial ? RXF_CSUM_PARTIAL : 0, shift, frame.length);
      const tsOff = 20 + before.length + 2;
      if (tsOptionOff(big, f) !== f.l4Off + tsOff) {
        t.fail(`case ${i}: TS offset ${tsOptionOff(big, f) - f.l4Off}, want ${tsOff}`);
        bad++;
        continue;
      }
      let want: Buffer;
      if (dirIn) {
        tsTranslateIn(big, f, delta);
        want = buildFrame({ ...spec, tcpOptions: mk((tsval + delta) >>> 0, tsecr) });
      } else {
        tsTranslateOut(big, f, delta);
        const ack = (flags & 0x10) !== 0;
        if (!ack) noAck++;
        want = buildFrame({ ...spec, tcpOptions: mk(tsval, ack ? (tsecr - delta) >>> 0 : tsecr) });
      }
      if (((f.l4Off + tsOff + (dirIn ? 0 : 4)) & 1) !== 0) odd++;
      if (partial) partials++;
      const got = big.subarray(shift, shift + frame.length);
      const ok =
        hex(got) === hex(want) &&
        (partial
          ? verifyPartialChecksum(got)
          : verifyL4Checksum(got) && l4ChecksumField(got) === expectedL4Checksum(got)) &&
        big.subarray(0, shift).every((x) => x === 0x5a) &&
        big.subarray(shift + frame.length).every((x) => x === 0x5a);
      if (!ok) {
        t.fail(
          `case ${i}: ${dirIn ? 'in' : 'out'} delta ${delta} partial ${partial}\n got ${hex(got)}\nwant ${hex(want)}`,
        );
        bad++;
      }
    }
    t.equal(bad, 0, `${CASES} cases agree with a from-scratch build`);
    t.ok(odd > CASES / 5, `odd offsets covered (${odd})`);
    t.ok(partials > CASES / 8, `partial checksums covered (${partials})`);
    t.ok(noAck > 20, `out segments without ACK covered (${noAck})`);
  },
);

t.test('round trip: in then out with the same delta gives the client back its own TSval in TSecr', async (t) => {
  const rnd = new Mulberry32(0x0badcafe);
  const int = (n: number): number => Math.floor(rnd.next() * n);
  let bad = 0;
  for (let i = 0; i < 2000 && bad < 5; i++) {
    const tsval = rnd.next() < 0.2 ? (0xffffffff - int(8)) >>> 0 : int(0x100000000) >>> 0;
    const delta = int(0x100000000) | 0;
    const layout = randomLayout(int);
    const mk = (v: number, e: number): Uint8Array => Uint8Array.from([...layout.before, ...ts(v, e), ...layout.after]);
    const c = buildFrame(tcp(mk(tsval, int(0x100000000) >>> 0), { payload: Buffer.alloc(int(40), 7) }));
    const fc = parsed(c);
    tsTranslateIn(c, fc, delta);
    const seen = c.readUInt32BE(tsOptionOff(c, fc)); // what the real server saw
    const echo = buildFrame(tcp(mk(int(0x100000000) >>> 0, seen), { flags: 'PA', src: VIP, dst: CIP, payload: 'ok' }));
    const fe = parsed(echo);
    tsTranslateOut(echo, fe, delta);
    const back = echo.readUInt32BE(tsOptionOff(echo, fe) + 4);
    if (back !== tsval || !verifyL4Checksum(echo) || !verifyL4Checksum(c)) {
      t.fail(`tsval ${tsval} delta ${delta}: server saw ${seen}, client got ${back}`);
      bad++;
    }
  }
  t.equal(bad, 0);
});

// ---------------------------------------------------------------------------------------------
// tsDeltaForSyn

const NOW = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z; mod 2^32 = 0x76daa87b

t.test('tsDeltaForSyn: exact deltas for a wall-clock nowMs, and the SYN then carries nowMs mod 2^32', async (t) => {
  t.equal(NOW % 2 ** 32, 0x76daa87b);
  const cases: [number, number][] = [
    [0x12345678, 1688621571],
    [0xfffffff0, 1994041483],
    [0, 0x76daa87b],
    [0x76daa87c, -1],
    [0xf6daa87b, -0x80000000],
    [0xf6daa87c, 0x7fffffff],
  ];
  for (const [tsval, want] of cases) {
    const b = buildFrame(tcp(linuxSyn(tsval, 0), { flags: 'S' }));
    const before = hex(b);
    const f = parsed(b);
    const d = tsDeltaForSyn(b, f, NOW);
    t.equal(d, want, `TSval ${tsval.toString(16)}`);
    t.equal(hex(b), before, 'the frame is not modified');
    tsTranslateIn(b, f, d);
    t.equal(b.readUInt32BE(L4 + 28), 0x76daa87b);
    t.ok(verifyL4Checksum(b));
  }
});

t.test('tsDeltaForSyn is 1, never 0, when TSval already equals nowMs mod 2^32', async (t) => {
  const b = buildFrame(tcp(wsFirst(0x76daa87b, 0), { flags: 'S' }));
  t.equal(tsDeltaForSyn(b, parsed(b), NOW), 1);
  const c = buildFrame(tcp(dataOpts(5, 0), { flags: 'S' }));
  t.equal(tsDeltaForSyn(c, parsed(c), 5), 1);
  t.equal(tsDeltaForSyn(c, parsed(c), 5 + 2 ** 32), 1);
});

t.test('tsDeltaForSyn is 0 (no translation) without a usable TS option', async (t) => {
  const frames = [
    buildFrame(tcp(undefined, { flags: 'S' })),
    buildFrame(tcp([2, 4, 5, 0xb4, 1, 3, 3, 7], { flags: 'S' })),
    buildFrame(tcp([1, 1, 8, 8, ...be32(1), 1, 1, 1, 1], { flags: 'S' })),
    buildFrame({ src: CIP, dst: VIP, proto: 'udp', sport: 1, dport: 2, payload: Buffer.from(ts(1, 2)) }),
  ];
  for (const b of frames) t.equal(tsDeltaForSyn(b, parsed(b), NOW), 0);
});

t.test('property: tsDeltaForSyn equals int32(nowMs - TSval) (1 instead of 0) for nowMs up to 2^53', async (t) => {
  const rnd = new Mulberry32(0x0d17a5);
  const int = (n: number): number => Math.floor(rnd.next() * n);
  const b = buildFrame(tcp(linuxSyn(0, 0), { flags: 'S' }));
  const f = parsed(b);
  let bad = 0;
  for (let i = 0; i < 3000 && bad < 5; i++) {
    const r = rnd.next();
    const now =
      r < 0.4
        ? NOW + int(1e10)
        : r < 0.7
          ? int(2 ** 33)
          : r < 0.9
            ? Math.floor(rnd.next() * 2 ** 53)
            : Number.MAX_SAFE_INTEGER - int(1000);
    const tsval = rnd.next() < 0.05 ? now % 2 ** 32 : int(0x100000000) >>> 0;
    b.writeUInt32BE(tsval, L4 + 28);
    const exact = Number(BigInt.asIntN(32, BigInt(now) - BigInt(tsval)));
    const want = exact === 0 ? 1 : exact;
    const d = tsDeltaForSyn(b, f, now);
    const seen = (tsval + d) >>> 0;
    const nowMod = now % 2 ** 32;
    if (d !== want || d === 0 || (exact !== 0 && seen !== nowMod) || (exact === 0 && seen !== (nowMod + 1) % 2 ** 32)) {
      t.fail(`now ${now} tsval ${tsval}: delta ${d}, want ${want}`);
      bad++;
    }
  }
  t.equal(bad, 0);
});
