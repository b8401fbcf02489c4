// Property tests for the NAT rewriter (seeded, a few thousand random tuples): every rewrite
// equals the frame built from scratch with the new tuple (test/helpers/frames.ts, an independent
// naive checksum), so every output checksum equals a full recompute; reverse NAT restores the
// client's view byte for byte.

import t from 'tap';
import { DROP_NONE } from '../../src/lib/drops.ts';
import { natIcmpFull } from '../../src/nat/nat-icmp.ts';
import { decTtl, rewriteBoth, rewriteDest, rewriteSource } from '../../src/nat/rewrite.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { buildFrame, hex, u32ToIp, type FrameSpec, ipToU32 } from '../helpers/frames.ts';
import {
  l3Offset,
  naiveSum,
  verifyIpChecksum,
  verifyL4Checksum,
  verifyPartialChecksum,
} from '../helpers/frame-checks.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

const CASES = 3000;
const rnd = new Mulberry32(0x5eed1624);
const int = (n: number): number => Math.floor(rnd.next() * n);
const addr = (): string => u32ToIp(int(0x100000000) >>> 0);
const port = (): number => int(0x10000);

interface Sample {
  spec: FrameSpec;
  partial: boolean;
  zero: boolean;
}

/** A random TCP/UDP frame description (tuple filled in by the caller). */
function randomSample(): Sample {
  const r = rnd.next();
  const proto = r < 0.5 ? 'tcp' : 'udp';
  const zero = proto === 'udp' && rnd.next() < 0.2;
  const partial = !zero && rnd.next() < 0.3;
  const plen = rnd.next() < 0.05 ? 1400 + int(100) : int(300);
  const payload = Buffer.alloc(plen);
  for (let i = 0; i < plen; i++) payload[i] = int(256);
  const spec: FrameSpec = {
    src: '0.0.0.0',
    dst: '0.0.0.0',
    proto,
    flags: int(256),
    seq: int(0x100000000) >>> 0,
    ack: int(0x100000000) >>> 0,
    window: port(),
    payload,
    ttl: 2 + int(254),
    id: port(),
    tos: int(256),
    df: rnd.next() < 0.5,
    partialCsum: partial,
    udpZeroCsum: zero,
  };
  if (rnd.next() < 0.2) spec.vlan = int(0x10000);
  if (rnd.next() < 0.15) spec.ipOptions = Buffer.alloc(4 * (1 + int(10)), 1);
  if (rnd.next() < 0.1) spec.pad = 1 + int(20);
  return { spec, partial, zero };
}

function parsed(buf: Buffer, partial: boolean, f: ParsedFrame): void {
  const v = parseFrame(buf, 0, buf.length, partial ? 1 : 0, f);
  if (v !== DROP_NONE) throw new Error(`verdict ${v} for ${hex(buf)}`);
}

function checksOk(buf: Buffer, partial: boolean): boolean {
  return verifyIpChecksum(buf) && (partial ? verifyPartialChecksum(buf) : verifyL4Checksum(buf));
}

t.test('DNAT, SNAT and full NAT equal the from-scratch frame; reverse NAT restores it', async (t) => {
  const f = new ParsedFrame();
  let mismatches = 0;
  let badChecks = 0;
  let notRestored = 0;
  const first: string[] = [];
  const note = (what: string, s: Sample): void => {
    if (first.length < 5) first.push(`${what}: ${JSON.stringify({ ...s.spec, payload: undefined })}`);
  };
  for (let n = 0; n < CASES; n++) {
    const s = randomSample();
    const [c, v, r, l] = [addr(), addr(), addr(), addr()];
    const [cp, vp, rp, lp] = [port(), port(), port(), port()];
    // What IPVS emits: never a zero UDP checksum (a zero input gets a computed one).
    const out = (src: string, sport: number, dst: string, dport: number): Buffer =>
      buildFrame({ ...s.spec, src, sport, dst, dport, udpZeroCsum: false });

    // masq in: client -> VIP becomes client -> RIP
    const a2 = buildFrame({ ...s.spec, src: c, sport: cp, dst: v, dport: vp });
    parsed(a2, s.partial, f);
    rewriteDest(a2, f, ipToU32(r), rp);
    if (!a2.equals(out(c, cp, r, rp))) {
      mismatches++;
      note('dnat', s);
    }
    if (!checksOk(a2, s.partial)) badChecks++;
    if (f.daddr !== ipToU32(r) || f.dport !== rp) mismatches++;
    // and back (the same conn seen by a second director, or a rollback): RIP -> VIP again
    rewriteDest(a2, f, ipToU32(v), vp);
    if (!a2.equals(s.zero ? out(c, cp, v, vp) : buildFrame({ ...s.spec, src: c, sport: cp, dst: v, dport: vp }))) {
      notRestored++;
      note('dnat back', s);
    }

    // masq out: RIP -> client becomes VIP -> client (the client's view)
    const b = buildFrame({ ...s.spec, src: r, sport: rp, dst: c, dport: cp });
    parsed(b, s.partial, f);
    rewriteSource(b, f, ipToU32(v), vp);
    if (!b.equals(out(v, vp, c, cp))) {
      mismatches++;
      note('snat', s);
    }
    if (!checksOk(b, s.partial)) badChecks++;
    rewriteSource(b, f, ipToU32(r), rp);
    if (!b.equals(s.zero ? out(r, rp, c, cp) : buildFrame({ ...s.spec, src: r, sport: rp, dst: c, dport: cp }))) {
      notRestored++;
      note('snat back', s);
    }

    // full NAT in and out
    const d = buildFrame({ ...s.spec, src: c, sport: cp, dst: v, dport: vp });
    parsed(d, s.partial, f);
    rewriteBoth(d, f, ipToU32(l), lp, ipToU32(r), rp);
    if (!d.equals(out(l, lp, r, rp))) {
      mismatches++;
      note('fullnat in', s);
    }
    if (!checksOk(d, s.partial)) badChecks++;
    const e = buildFrame({ ...s.spec, src: r, sport: rp, dst: l, dport: lp });
    parsed(e, s.partial, f);
    rewriteBoth(e, f, ipToU32(v), vp, ipToU32(c), cp);
    if (!e.equals(out(v, vp, c, cp))) {
      mismatches++;
      note('fullnat out', s);
    }
    if (!checksOk(e, s.partial)) badChecks++;
  }
  t.equal(mismatches, 0, first.join('\n'));
  t.equal(badChecks, 0);
  t.equal(notRestored, 0, first.join('\n'));
});

t.test('a partial checksum after NAT is the pseudo-header sum of the new addresses, whatever the ports', async (t) => {
  const f = new ParsedFrame();
  let bad = 0;
  for (let n = 0; n < 1000; n++) {
    const proto = rnd.next() < 0.5 ? 'tcp' : 'udp';
    const spec: FrameSpec = {
      src: addr(),
      dst: addr(),
      proto,
      sport: port(),
      dport: port(),
      payload: Buffer.alloc(int(200), 7),
      partialCsum: true,
    };
    const buf = buildFrame(spec);
    parsed(buf, true, f);
    const before = buf.readUInt16BE(f.l4CsumOff);
    rewriteDest(buf, f, f.daddr, port()); // a port-only change leaves a partial checksum alone
    if (buf.readUInt16BE(f.l4CsumOff) !== before) bad++;
    rewriteBoth(buf, f, ipToU32(addr()), port(), ipToU32(addr()), port());
    if (!verifyPartialChecksum(buf)) bad++;
  }
  t.equal(bad, 0);
});

t.test('decTtl equals the frame built with TTL - 1, and refuses TTL 0 and 1', async (t) => {
  const f = new ParsedFrame();
  let bad = 0;
  for (let n = 0; n < 1000; n++) {
    const s = randomSample();
    const ttl = int(256);
    const spec = { ...s.spec, src: addr(), dst: addr(), sport: port(), dport: port(), ttl };
    const buf = buildFrame(spec);
    parsed(buf, s.partial, f);
    const ok = decTtl(buf, f);
    const want = ttl <= 1 ? buildFrame(spec) : buildFrame({ ...spec, ttl: ttl - 1 });
    if (ok !== ttl > 1 || !buf.equals(want) || f.ttl !== (ttl > 1 ? ttl - 1 : ttl)) bad++;
  }
  t.equal(bad, 0);
});

t.test('natIcmpFull leaves every outer, inner and ICMP checksum equal to a full recompute', async (t) => {
  const f = new ParsedFrame();
  let bad = 0;
  for (let n = 0; n < 1000; n++) {
    const inner = buildFrame({
      src: addr(),
      dst: addr(),
      proto: rnd.next() < 0.5 ? 'tcp' : 'udp',
      sport: port(),
      dport: port(),
      payload: Buffer.alloc(int(100), 3),
      ...(rnd.next() < 0.2 ? { ipOptions: Buffer.alloc(8, 1) } : {}),
    }).subarray(14);
    const quoteLen = Math.min(inner.length, (inner[0]! & 15) * 4 + 8 + int(64));
    const err = buildFrame({
      src: addr(),
      dst: addr(),
      proto: 'icmp',
      icmpType: [3, 4, 11, 12][int(4)]!,
      icmpCode: int(16),
      icmpRest: 0,
      payload: inner.subarray(0, quoteLen),
    });
    parsed(err, false, f);
    const innerL4Check = Buffer.from(err.subarray(f.innerL4Off + 4, f.l4Off + f.l4Len));
    const [os, od, is, id] = [ipToU32(addr()), ipToU32(addr()), ipToU32(addr()), ipToU32(addr())];
    const [isp, idp] = [port(), port()];
    natIcmpFull(err, f, os, od, is, isp, id, idp);
    const ci = f.innerL3Off;
    const ok =
      verifyIpChecksum(err) &&
      verifyL4Checksum(err) &&
      naiveSum(err, ci, f.innerIpHdrLen) === 0xffff &&
      err.readUInt32BE(l3Offset(err) + 12) === os &&
      err.readUInt32BE(l3Offset(err) + 16) === od &&
      err.readUInt32BE(ci + 12) === is &&
      err.readUInt32BE(ci + 16) === id &&
      err.readUInt16BE(f.innerL4Off) === isp &&
      err.readUInt16BE(f.innerL4Off + 2) === idp &&
      err.subarray(f.innerL4Off + 4, f.l4Off + f.l4Len).equals(innerL4Check);
    if (!ok) bad++;
  }
  t.equal(bad, 0);
});
