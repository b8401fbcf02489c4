// hsiphash (lib/siphash.c, 64-bit: SipHash-1-3 truncated to u32), as used by ip_vs_mh.c.

import t from 'tap';
import { HsiphashKey, hsiphash1u32, hsiphashBytes } from '../../src/lib/hsiphash.ts';
import { MH_HASH1, MH_HASH2 } from '../../src/sched/mh.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';
import { sip13 } from '../helpers/cookie-ref.ts';

// lib/siphash_kunit.c (BITS_PER_LONG == 64): key 00 01 .. 0f, input bytes 00 01 .. len-1.
const kernelVectors = [
  0x050fc4dc, 0x7d57ca93, 0x4dc7d44d, 0xe7ddf7fb, 0x88d38328, 0x49533b67, 0xc59f22a7, 0x9bb11140, 0x8d299a8e,
  0x6c063de4, 0x92ff097f, 0xf94dc352, 0x57b4d9a2, 0x1229ffa7, 0xc0f95d34, 0x2a519956, 0x7d908b66, 0x63dbd80c,
  0xb473e63e, 0x8d297d1c, 0xa6cce040, 0x2b45f844, 0xa320872e, 0xdae6c123, 0x67349c8c, 0x705b0979, 0xca9913a5,
  0x4ade3b35, 0xef6cd00d, 0x4ab1e1f4, 0x43c5e663, 0x8c21d1bc, 0x16a7b60d, 0x7a8ff9bf, 0x1f2a753e, 0xbf186b91,
  0xada26206, 0xa3c33057, 0xae3a36a1, 0x7b108392, 0x99e41531, 0x3f1ad944, 0xc8138825, 0xc28949a6, 0xfaf8876b,
  0x9f042196, 0x68b1d623, 0x8b5114fd, 0xdf074c46, 0x12cc86b3, 0x0a52098f, 0x9d292f9a, 0xa2f41f12, 0x43a71ed0,
  0x73f0bce6, 0x70a7e980, 0x243c6d75, 0xfdb71513, 0xa67d8a08, 0xb7e8f148, 0xf7a644ee, 0x0f1837f2, 0x4b6694e0,
  0xb7bbb3a8,
];
const testKey = new HsiphashKey(0x07060504, 0x03020100, 0x0f0e0d0c, 0x0b0a0908);

t.test('hsiphash matches the kernel self-test vectors', async (t) => {
  t.equal(kernelVectors.length, 64);
  const got: number[] = [];
  for (let len = 0; len < 64; len++)
    got.push(
      hsiphashBytes(
        Uint8Array.from({ length: len }, (_, i) => i),
        testKey,
      ),
    );
  t.same(got, kernelVectors);
  t.equal(hsiphash1u32(0x03020100, testKey) >>> 0, kernelVectors[4], 'hsiphash_1u32 equals hsiphash of the 4 LE bytes');
});

// An independent SipHash-1-3 in BigInt (test/helpers/cookie-ref.ts) of the word's 4 LE bytes.
function refHsiphash32(v: number, k0: bigint, k1: bigint): number {
  return sip13(Uint8Array.from([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]), k0, k1);
}

t.test('hsiphash_1u32 agrees with an independent BigInt SipHash-1-3 on random words and keys', async (t) => {
  const rng = new Mulberry32(99);
  let bad = 0;
  for (let i = 0; i < 2000; i++) {
    const w = [rng.nextU32(), rng.nextU32(), rng.nextU32(), rng.nextU32()];
    const key = new HsiphashKey(w[0]!, w[1]!, w[2]!, w[3]!);
    const k0 = (BigInt(w[0]!) << 32n) | BigInt(w[1]!);
    const k1 = (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
    const v = rng.nextU32();
    if (hsiphash1u32(v, key) >>> 0 !== refHsiphash32(v, k0, k1)) bad++;
  }
  t.equal(bad, 0);
});

t.test('the mh keys are the kernel constants 2654435761 and 2654446892 in both words', async (t) => {
  t.same([MH_HASH1.k0hi, MH_HASH1.k0lo, MH_HASH1.k1hi, MH_HASH1.k1lo], [0, 0x9e3779b1, 0, 0x9e3779b1]);
  t.same([MH_HASH2.k0hi, MH_HASH2.k0lo, MH_HASH2.k1hi, MH_HASH2.k1lo], [0, 0x9e37a52c, 0, 0x9e37a52c]);
  const v = (80 + 0xc0a86301) >>> 0; // 192.168.99.1:80
  t.equal(hsiphash1u32(v, MH_HASH1) >>> 0, refHsiphash32(v, 2654435761n, 2654435761n));
  t.equal(hsiphash1u32(v, MH_HASH2) >>> 0, refHsiphash32(v, 2654446892n, 2654446892n));
});
