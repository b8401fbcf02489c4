// hsiphash as the kernel computes it on 64-bit machines (lib/siphash.c, BITS_PER_LONG == 64):
// "on 64-bit, we make HalfSipHash1-3 actually be SipHash1-3", returning the low 32 bits.
// ip_vs_mh.c hashes one u32 with it (hsiphash(&v, sizeof(v), key)), which equals
// hsiphash_1u32(v, key) on a little-endian machine. (32-bit kernels run real HalfSipHash1-3
// and so build a different Maglev table; we mirror x86_64.)
//
// JS has no u64 without BigInt, so each 64-bit word is two uint32 halves in a Uint32Array
// for the generic path (which also truncates every store to 32 bits), and int32 locals in
// hsiphash1u32. No allocation per call.

/** hsiphash_key_t on 64-bit: two u64 words, each as (hi, lo) uint32 halves. */
export class HsiphashKey {
  readonly k0hi: number;
  readonly k0lo: number;
  readonly k1hi: number;
  readonly k1lo: number;

  constructor(k0hi: number, k0lo: number, k1hi: number, k1lo: number) {
    this.k0hi = k0hi >>> 0;
    this.k0lo = k0lo >>> 0;
    this.k1hi = k1hi >>> 0;
    this.k1lo = k1lo >>> 0;
  }
}

// v0..v3 as [v0h, v0l, v1h, v1l, v2h, v2l, v3h, v3l].
const v = new Uint32Array(8);

/** SIPROUND (lib/siphash.c) on the state v. */
function sipRound(): void {
  let v0h = v[0]!,
    v0l = v[1]!,
    v1h = v[2]!,
    v1l = v[3]!;
  let v2h = v[4]!,
    v2l = v[5]!,
    v3h = v[6]!,
    v3l = v[7]!;
  let lo: number, t: number;
  // v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);
  lo = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  t = v1h;
  v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
  v1l = ((v1l << 13) | (t >>> 19)) >>> 0;
  v1h = (v1h ^ v0h) >>> 0;
  v1l = (v1l ^ v0l) >>> 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;
  lo = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  t = v3h;
  v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
  v3l = ((v3l << 16) | (t >>> 16)) >>> 0;
  v3h = (v3h ^ v2h) >>> 0;
  v3l = (v3l ^ v2l) >>> 0;
  // v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;
  lo = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  t = v3h;
  v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
  v3l = ((v3l << 21) | (t >>> 11)) >>> 0;
  v3h = (v3h ^ v0h) >>> 0;
  v3l = (v3l ^ v0l) >>> 0;
  // v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);
  lo = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  t = v1h;
  v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
  v1l = ((v1l << 17) | (t >>> 15)) >>> 0;
  v1h = (v1h ^ v2h) >>> 0;
  v1l = (v1l ^ v2l) >>> 0;
  v[0] = v0h;
  v[1] = v0l;
  v[2] = v1h;
  v[3] = v1l;
  v[4] = v2l; // v2 = rol64(v2, 32)
  v[5] = v2h;
  v[6] = v3h;
  v[7] = v3l;
}

/** PREAMBLE(len): the SipHash constants "somepseudorandomlygeneratedbytes" xor the key. */
function preamble(key: HsiphashKey): void {
  v[0] = 0x736f6d65 ^ key.k0hi;
  v[1] = 0x70736575 ^ key.k0lo;
  v[2] = 0x646f7261 ^ key.k1hi;
  v[3] = 0x6e646f6d ^ key.k1lo;
  v[4] = 0x6c796765 ^ key.k0hi;
  v[5] = 0x6e657261 ^ key.k0lo;
  v[6] = 0x74656462 ^ key.k1hi;
  v[7] = 0x79746573 ^ key.k1lo;
}

/** HPOSTAMBLE with b = (bh, bl): one compression round, then three finalisation rounds. */
function postamble(bh: number, bl: number): number {
  v[6] = v[6]! ^ bh;
  v[7] = v[7]! ^ bl;
  sipRound();
  v[0] = v[0]! ^ bh;
  v[1] = v[1]! ^ bl;
  v[5] = v[5]! ^ 0xff;
  sipRound();
  sipRound();
  sipRound();
  // (v0 ^ v1) ^ (v2 ^ v3), truncated to u32: the low halves.
  return (v[1]! ^ v[3]! ^ v[5]! ^ v[7]!) >>> 0;
}

/**
 * hsiphash_1u32(first, key): hsiphash of the 4 little-endian bytes of first, returned as its
 * int32 bit pattern (`>>> 0` gives the u32): an int32 return value is never boxed, a uint32
 * above 2^31 would be, once per call, on the packet path. The per-connection
 * path (ip_vs_mh lookups), so everything is in locals: the same SIPROUND as sipRound(), four
 * times (one compression round, three finalisation rounds), with b = 4 << 56 | first.
 */
export function hsiphash1u32(first: number, key: HsiphashKey): number {
  let v0h = 0x736f6d65 ^ key.k0hi;
  let v0l = 0x70736575 ^ key.k0lo;
  let v1h = 0x646f7261 ^ key.k1hi;
  let v1l = 0x6e646f6d ^ key.k1lo;
  let v2h = 0x6c796765 ^ key.k0hi;
  let v2l = 0x6e657261 ^ key.k0lo;
  let v3h = 0x74656462 ^ key.k1hi;
  let v3l = 0x79746573 ^ key.k1lo;
  const bh = 0x04000000;
  const bl = first | 0;
  v3h ^= bh;
  v3l ^= bl;
  for (let round = 0; round < 4; round++) {
    let lo: number;
    let t: number;
    // v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);
    lo = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~lo)) >>> 31)) | 0;
    v0l = lo;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1h ^= v0h;
    v1l ^= v0l;
    t = v0h;
    v0h = v0l;
    v0l = t;
    // v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;
    lo = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~lo)) >>> 31)) | 0;
    v2l = lo;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3h ^= v2h;
    v3l ^= v2l;
    // v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;
    lo = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~lo)) >>> 31)) | 0;
    v0l = lo;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3h ^= v0h;
    v3l ^= v0l;
    // v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);
    lo = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~lo)) >>> 31)) | 0;
    v2l = lo;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1h ^= v2h;
    v1l ^= v2l;
    t = v2h;
    v2h = v2l;
    v2l = t;
    if (round === 0) {
      v0h ^= bh;
      v0l ^= bl;
      v2l ^= 0xff;
    }
  }
  // (v0 ^ v1) ^ (v2 ^ v3), truncated to u32: the low halves.
  return v0l ^ v1l ^ v2l ^ v3l;
}

/** hsiphash(data, len, key) over bytes (the generic path; used to check against the kernel's vectors). */
export function hsiphashBytes(data: Uint8Array, key: HsiphashKey): number {
  const len = data.length;
  preamble(key);
  const end = len - (len % 8);
  let i = 0;
  for (; i < end; i += 8) {
    const ml = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    const mh = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    v[6] = v[6]! ^ mh;
    v[7] = v[7]! ^ ml;
    sipRound();
    v[0] = v[0]! ^ mh;
    v[1] = v[1]! ^ ml;
  }
  let bh = ((len & 0xff) << 24) >>> 0;
  let bl = 0;
  for (let k = 0; i + k < len; k++) {
    const byte = data[i + k]!;
    if (k < 4) bl = (bl | (byte << (8 * k))) >>> 0;
    else bh = (bh | (byte << (8 * (k - 4)))) >>> 0;
  }
  return postamble(bh, bl);
}
