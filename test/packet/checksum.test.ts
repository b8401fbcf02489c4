import t from 'tap';
import {
  csumAdd,
  csumFold,
  csumPartial,
  csumReplace2,
  csumReplace4,
  csumReplace4Partial,
  csumTcpudpMagic,
  fold16,
  ipFastCsum,
  ipSendCheck,
  pseudoSum,
} from '../../src/packet/checksum.ts';
import { naiveSum } from '../helpers/frame-checks.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

t.test('the RFC 1071 section 3 example sums to ddf2 (checksum 220d)', async (t) => {
  const b = Buffer.from('0001f203f4f5f6f7', 'hex');
  t.equal(fold16(csumPartial(b, 0, 8, 0)), 0xddf2);
  t.equal(csumFold(csumPartial(b, 0, 8, 0)), 0x220d);
});

t.test('the classic IPv4 header example verifies and recomputes to b861', async (t) => {
  // 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (Wikipedia "IPv4 header checksum")
  const h = Buffer.from('450000730000400040 11b861c0a80001c0a800c7'.replace(/ /g, ''), 'hex');
  t.equal(ipFastCsum(h, 0, 20), 0);
  h.writeUInt16BE(0, 10);
  ipSendCheck(h, 0);
  t.equal(h.readUInt16BE(10), 0xb861);
});

t.test('csumPartial equals a naive word sum for odd/even lengths, offsets and > 64 KiB', async (t) => {
  const rnd = new Mulberry32(1071);
  const b = Buffer.alloc(140000);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd.next() * 256);
  for (const [off, len] of [
    [0, 0],
    [0, 1],
    [3, 7],
    [1, 64],
    [5, 1501],
    [0, 32768],
    [1, 32769],
    [2, 65535],
    [0, 139999],
  ] as const) {
    t.equal(fold16(csumPartial(b, off, len, 0)), len === 0 ? 0 : naiveSum(b, off, len), `off ${off} len ${len}`);
  }
  t.equal(
    fold16(csumPartial(b, 0, 10, 0xfffffff)),
    fold16(naiveSum(b, 0, 10) + fold16(0xfffffff)),
    'initial sum folded in',
  );
  t.equal(
    fold16(csumPartial(b, 0, 4000, 0xfffffff)),
    fold16(naiveSum(b, 0, 4000) + fold16(0xfffffff)),
    'initial sum, word loop',
  );
  // A view that starts at an odd byte of its ArrayBuffer: the word loop reads unaligned.
  const sub = b.subarray(3, 3 + 5000);
  t.equal(sub.byteOffset, 3);
  for (const [off, len] of [
    [0, 64],
    [1, 65],
    [2, 4997],
    [7, 1480],
  ] as const) {
    t.equal(fold16(csumPartial(sub, off, len, 0)), naiveSum(sub, off, len), `subarray off ${off} len ${len}`);
  }
  // Several buffers in turn (the view cache holds two) still sum right.
  const others = [Buffer.alloc(100, 1), Buffer.alloc(100, 2), Buffer.alloc(100, 3)];
  for (let k = 0; k < 6; k++) {
    const o = others[k % 3]!;
    t.equal(fold16(csumPartial(o, 0, 100, 0)), naiveSum(o, 0, 100), `buffer ${k % 3}`);
  }
});

t.test('csumReplace4 / csumReplace2 equal a full recompute for random 20-byte headers', async (t) => {
  const rnd = new Mulberry32(1624);
  const h = Buffer.alloc(20);
  let bad = 0;
  for (let n = 0; n < 5000; n++) {
    for (let i = 0; i < 20; i++) h[i] = Math.floor(rnd.next() * 256);
    h.writeUInt16BE(0, 10);
    ipSendCheck(h, 0);
    h[0] = 0x45;
    ipSendCheck(h, 0);
    const old32 = h.readUInt32BE(16);
    const new32 = Math.floor(rnd.next() * 0x100000000) >>> 0;
    const old16 = h.readUInt16BE(4);
    const new16 = Math.floor(rnd.next() * 0x10000);
    let c = csumReplace4(h.readUInt16BE(10), old32, new32);
    c = csumReplace2(c, old16, new16);
    h.writeUInt32BE(new32, 16);
    h.writeUInt16BE(new16, 4);
    const inc = c;
    ipSendCheck(h, 0);
    if (inc !== h.readUInt16BE(10)) bad++;
  }
  t.equal(bad, 0);
});

t.test('csumReplace4Partial gives the from-scratch pseudo-header sum; the ~unfold variant does not', async (t) => {
  // inet_proto_csum_replace4, CHECKSUM_PARTIAL branch: ~csum_fold(csum_unfold(*sum) - from + to).
  const rnd = new Mulberry32(4);
  let bad = 0;
  let badVariant = 0;
  for (let n = 0; n < 5000; n++) {
    const s = Math.floor(rnd.next() * 0x100000000) >>> 0;
    const d = Math.floor(rnd.next() * 0x100000000) >>> 0;
    const d2 = Math.floor(rnd.next() * 0x100000000) >>> 0;
    const len = 20 + Math.floor(rnd.next() * 1480);
    const field = fold16(pseudoSum(s, d, 6, len));
    if (csumReplace4Partial(field, d, d2) !== fold16(pseudoSum(s, d2, 6, len))) bad++;
    // A variant that starts from ~csum_unfold(*sum), as for a complemented field, is wrong here.
    const variant =
      ~csumFold((~field & 0xffff) + ((d >>> 16) ^ 0xffff) + ((d & 0xffff) ^ 0xffff) + (d2 >>> 16) + (d2 & 0xffff)) &
      0xffff;
    if (variant !== fold16(pseudoSum(s, d2, 6, len))) badVariant++;
  }
  t.equal(bad, 0);
  t.ok(badVariant > 4000, `the ~unfold variant is wrong in ${badVariant} of 5000 cases`);
});

t.test('csumTcpudpMagic and csumAdd agree with the naive sum', async (t) => {
  const seg = Buffer.from('9c4100500000000100000000500220000000000068656c6c6f', 'hex');
  const magic = csumTcpudpMagic(0xc0a85814, 0xc0a85805, seg.length, 6, csumPartial(seg, 0, seg.length, 0));
  const naive = ~fold16(pseudoSum(0xc0a85814, 0xc0a85805, 6, seg.length) + naiveSum(seg, 0, seg.length)) & 0xffff;
  t.equal(magic, naive);
  t.equal(csumAdd(0xffff, 1), 1);
  t.equal(csumAdd(0x8000, 0x8000), 1);
});
