// IPv6 golden packet table: input bytes -> exact verdict and fields -> action -> exact output bytes.
// The table (test/fixtures/packets/golden6.json) is built by make-goldens6.py in Python with
// inet_pton and a naive checksum over the IPv6 pseudo-header; every expected output is rebuilt
// from scratch, so it does not echo this implementation.

import t from 'tap';
import { DROP_NAMES } from '../../src/lib/drops.ts';
import { formatInet6, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { natIcmp6Full, natIcmp6In, natIcmp6Out } from '../../src/nat/nat-icmp6.ts';
import { decHopLimit, rewriteBoth6, rewriteDest6, rewriteSource6 } from '../../src/nat/rewrite6.ts';
import {
  ICMP6_ERROR_MAX_FRAME,
  buildIcmp6PktTooBig,
  buildIcmp6PortUnreach,
  icmp6EchoReplyInPlace,
} from '../../src/packet/build-icmp6.ts';
import {
  NDISC_MAX_FRAME,
  buildNeighAdvertReply,
  buildNeighSolicit,
  buildUnsolicitedNeighAdvert,
} from '../../src/packet/build-ndisc.ts';
import { icmp6ChecksumOk } from '../../src/packet/icmp6.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { buildFrame, fromHex, hex, macToBytes } from '../helpers/frames.ts';
import { loadGolden6, type Golden6Case } from '../fixtures/packets/golden6.ts';

const BUF_OFFSETS = new Set([
  'l3Off',
  'l4Off',
  'l4CsumOff',
  'payloadOff',
  'innerL3Off',
  'innerL4Off',
  'fragHdrOff',
  'ndLlaOff',
]);
const ADDR6 = new Set(['saddr6', 'daddr6', 'ndTarget6', 'innerSaddr6', 'innerDaddr6']);

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(`bad IPv6 address in golden6.json: ${s}`);
  return w;
}

/** The address at word offset `at` of a poisoned column, as a ConnTable6 column holds it at id << 2. */
function column(s: string, at: number): Uint32Array {
  const col = new Uint32Array(at + 8).fill(0xa5a5a5a5);
  col.set(a6(s), at);
  return col;
}

/** Run the action on buf (parsed into f); returns the output bytes and the action's return value. */
function act(c: Golden6Case, buf: Buffer, f: ParsedFrame): { out: Buffer; ret: unknown } {
  const a = c.action!;
  const scratch = Buffer.alloc(ICMP6_ERROR_MAX_FRAME + 8, 0xee);
  let n = -1;
  let ret: unknown;
  switch (a.kind) {
    case 'dnat6':
      rewriteDest6(buf, f, column(a.addr, 8), 8, a.port);
      break;
    case 'snat6':
      rewriteSource6(buf, f, a6(a.addr), 0, a.port);
      break;
    case 'fullnat6':
      rewriteBoth6(buf, f, column(a.saddr, 4), 4, a.sport, column(a.daddr, 12), 12, a.dport);
      break;
    case 'natIcmp6Out':
      natIcmp6Out(buf, f, column(a.addr, 4), 4, a.port);
      break;
    case 'natIcmp6In':
      natIcmp6In(buf, f, column(a.addr, 0), 0, a.port);
      break;
    case 'natIcmp6Full':
      natIcmp6Full(
        buf,
        f,
        column(a.outerSaddr, 4),
        4,
        column(a.outerDaddr, 8),
        8,
        column(a.innerSaddr, 0),
        0,
        a.innerSport,
        column(a.innerDaddr, 12),
        12,
        a.innerDport,
      );
      break;
    case 'decHopLimit':
      ret = decHopLimit(buf, f);
      break;
    case 'echoReply6':
      return { out: buf.subarray(0, icmp6EchoReplyInPlace(buf, f)), ret };
    case 'naReply':
      n = buildNeighAdvertReply(scratch, 4, buf, f, macToBytes(a.mac), 0, a.router);
      break;
    case 'nsBuild':
      n = buildNeighSolicit(scratch, 4, macToBytes(a.mac), 0, -1, a6(a.src), a6(a.target));
      break;
    case 'unsolNa':
      n = buildUnsolicitedNeighAdvert(scratch, 4, macToBytes(a.mac), 0, -1, a6(a.target), 0);
      break;
    case 'portUnreach6':
      n = buildIcmp6PortUnreach(scratch, 4, buf, f, a6(a.src));
      break;
    case 'pktTooBig6':
      n = buildIcmp6PktTooBig(scratch, 4, buf, f, a.mtu, a6(a.src));
      break;
  }
  if (n >= 0) return { out: scratch.subarray(4, 4 + n), ret };
  return { out: buf.subarray(0, f.frameLen), ret };
}

const f = new ParsedFrame();
for (const c of loadGolden6()) {
  t.test(c.description, async (t) => {
    const input = fromHex(c.input);
    // At an odd offset in a poisoned buffer: offsets honoured, nothing past the frame read.
    const buf = Buffer.alloc(input.length + 64, 0xa5);
    input.copy(buf, 7);
    const verdict = parseFrame(buf, 7, input.length, c.rxFlags, f);
    t.equal(DROP_NAMES[verdict], c.verdict, `verdict (${c.made})`);
    const rec = f as unknown as Record<string, number | Uint32Array>;
    for (const [k, v] of Object.entries(c.fields)) {
      if (ADDR6.has(k)) t.equal(formatInet6(rec[k] as Uint32Array), formatInet6(a6(v as string)), k);
      else t.equal(rec[k], BUF_OFFSETS.has(k) && (v as number) >= 0 ? (v as number) + 7 : v, k);
    }
    if (c.action === undefined) return;
    const exact = Buffer.from(input);
    parseFrame(exact, 0, exact.length, c.rxFlags, f);
    const { out, ret } = act(c, exact, f);
    t.equal(hex(out), c.output, 'output bytes');
    if (c.returns !== undefined) t.equal(ret, c.returns, 'return value');
  });
}

t.test('the parsed 128-bit addresses fold into saddr / daddr as Service.addr does', async (t) => {
  const c = loadGolden6()[0]!;
  parseFrame(fromHex(c.input), 0, fromHex(c.input).length, 0, f);
  const s = f.saddr6;
  t.equal(f.saddr, (s[0]! ^ s[1]! ^ s[2]! ^ s[3]!) >>> 0);
  t.not(f.saddr, f.daddr);
});

t.test('icmp6ChecksumOk accepts the generated echo request and refuses one flipped bit', async (t) => {
  const c = loadGolden6().find((x) => x.action?.kind === 'echoReply6')!;
  const b = fromHex(c.input);
  parseFrame(b, 0, b.length, 0, f);
  t.ok(icmp6ChecksumOk(b, f));
  b[b.length - 1]! ^= 1;
  t.notOk(icmp6ChecksumOk(b, f));
});

t.test('an IPv4 frame after an IPv6 one leaves no stale 128-bit fields', async (t) => {
  const v6 = fromHex(loadGolden6()[0]!.input);
  parseFrame(v6, 0, v6.length, 0, f);
  t.not(f.saddr6[0], 0);
  const v4 = buildFrame({ src: '192.168.88.20', dst: '192.168.88.5', proto: 'udp', sport: 1, dport: 2 });
  t.equal(parseFrame(v4, 0, v4.length, 0, f), 0);
  t.same(Array.from(f.saddr6), [0, 0, 0, 0]);
  t.equal(f.fragHdrOff, -1);
});

t.test('builders write no more than their documented maximum', async (t) => {
  t.ok(NDISC_MAX_FRAME >= 14 + 4 + 40 + 32);
  const out = Buffer.alloc(NDISC_MAX_FRAME);
  const n = buildNeighSolicit(
    out,
    0,
    macToBytes('02:00:00:00:00:02'),
    0,
    5,
    a6('2001:db8:99::5'),
    a6('2001:db8:99::100'),
  );
  t.equal(n, NDISC_MAX_FRAME);
});
