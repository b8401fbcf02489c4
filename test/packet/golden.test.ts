// Golden packet table: input bytes -> exact verdict and fields -> action -> exact output bytes.
// The table (test/fixtures/packets/golden.json) is built by make-goldens.py in Python, with
// every expected output rebuilt from scratch, so it does not echo this implementation.

import t from 'tap';
import { DROP_NAMES } from '../../src/lib/drops.ts';
import { decTtl, rewriteBoth, rewriteDest, rewriteSource } from '../../src/nat/rewrite.ts';
import { natIcmpFull, natIcmpIn, natIcmpOut } from '../../src/nat/nat-icmp.ts';
import { arpReplyInPlace } from '../../src/packet/build-arp.ts';
import {
  ICMP_ERROR_MAX_FRAME,
  buildIcmpFragNeeded,
  buildIcmpPortUnreach,
  icmpEchoReplyInPlace,
} from '../../src/packet/build-icmp.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { fromHex, hex, ipToU32, macToBytes } from '../helpers/frames.ts';
import { loadGolden, type GoldenCase } from '../fixtures/packets/golden.ts';

/** Fields holding absolute buffer offsets: shifted by where the frame sits in the buffer. */
const BUF_OFFSETS = new Set([
  'l3Off',
  'l4Off',
  'l4CsumOff',
  'payloadOff',
  'innerL3Off',
  'innerL4Off',
  'arpShaOff',
  'arpSpaOff',
  'arpThaOff',
  'arpTpaOff',
]);

/** Run the action on buf (parsed into f); returns the output bytes and the action's return value. */
function act(c: GoldenCase, buf: Buffer, f: ParsedFrame): { out: Buffer; ret: unknown } {
  const a = c.action!;
  let len = f.frameLen;
  let ret: unknown;
  switch (a.kind) {
    case 'dnat':
      rewriteDest(buf, f, ipToU32(a.addr), a.port);
      break;
    case 'snat':
      rewriteSource(buf, f, ipToU32(a.addr), a.port);
      break;
    case 'fullnat':
      rewriteBoth(buf, f, ipToU32(a.saddr), a.sport, ipToU32(a.daddr), a.dport);
      break;
    case 'natIcmpOut':
      natIcmpOut(buf, f, ipToU32(a.addr), a.port);
      break;
    case 'natIcmpIn':
      natIcmpIn(buf, f, ipToU32(a.addr), a.port);
      break;
    case 'natIcmpFull':
      natIcmpFull(
        buf,
        f,
        ipToU32(a.outerSaddr),
        ipToU32(a.outerDaddr),
        ipToU32(a.innerSaddr),
        a.innerSport,
        ipToU32(a.innerDaddr),
        a.innerDport,
      );
      break;
    case 'decTtl':
      ret = decTtl(buf, f);
      break;
    case 'echoReply':
      len = icmpEchoReplyInPlace(buf, f);
      break;
    case 'arpReply':
      len = arpReplyInPlace(buf, f, macToBytes(a.mac), 0);
      break;
    case 'portUnreach':
    case 'fragNeeded': {
      const out = Buffer.alloc(ICMP_ERROR_MAX_FRAME + 8, 0xee);
      const n =
        a.kind === 'portUnreach'
          ? buildIcmpPortUnreach(out, 4, buf, f, ipToU32(a.src), a.ipId)
          : buildIcmpFragNeeded(out, 4, buf, f, a.mtu, ipToU32(a.src), a.ipId);
      return { out: out.subarray(4, 4 + n), ret };
    }
  }
  return { out: buf.subarray(0, len), ret };
}

const f = new ParsedFrame();
for (const c of loadGolden()) {
  t.test(c.description, async (t) => {
    const input = fromHex(c.input);
    // Embed the frame at an odd offset in a larger poisoned buffer: offsets must be honoured and
    // nothing past the frame may be read (or the verdict would change).
    const buf = Buffer.alloc(input.length + 64, 0xa5);
    input.copy(buf, 7);
    const verdict = parseFrame(buf, 7, input.length, c.rxFlags, f);
    t.equal(DROP_NAMES[verdict], c.verdict, `verdict (${c.made})`);
    for (const [k, v] of Object.entries(c.fields)) {
      const want = typeof v === 'string' ? ipToU32(v) : BUF_OFFSETS.has(k) && v >= 0 ? v + 7 : v;
      t.equal((f as unknown as Record<string, number>)[k], want, k);
    }
    if (c.action === undefined) return;
    const exact = Buffer.from(input);
    parseFrame(exact, 0, exact.length, c.rxFlags, f);
    const { out, ret } = act(c, exact, f);
    t.equal(hex(out), c.output, 'output bytes');
    if (c.returns !== undefined) t.equal(ret, c.returns, 'return value');
  });
}
