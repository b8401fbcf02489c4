// Reference SYN cookies for golden tests, independent of src/conn/syn-cookie.ts: a SipHash-1-3 in
// BigInt (the 64-bit kernel's hsiphash, lib/siphash.c) straight from the SipHash paper (64-bit
// little-endian message words, the length in the last word's top byte), syncookies.c's
// secure_tcp_syn_cookie sum and cookie_init_timestamp written out.

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** SipHash-1-3 of msg under the key (k0, k1), truncated to its low 32 bits. */
export function sip13(msg: Uint8Array, k0: bigint, k1: bigint): number {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const word = (at: number, n: number): bigint => {
    let w = 0n;
    for (let i = n - 1; i >= 0; i--) w = (w << 8n) | BigInt(msg[at + i]!);
    return w;
  };
  const full = msg.length - (msg.length % 8);
  const words: bigint[] = [];
  for (let i = 0; i < full; i += 8) words.push(word(i, 8));
  words.push((BigInt(msg.length & 0xff) << 56n) | word(full, msg.length - full));
  for (const m of words) {
    v3 ^= m;
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  round();
  round();
  round();
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn);
}

/** The (k0, k1) of hash c from a fixed cookie key (8 words: H0's, then H1's), as SynCookies.useFixedKey takes it. */
export function cookieKey(key: Uint32Array, c: number): [bigint, bigint] {
  const k = (i: number): bigint => (BigInt(key[i]!) << 32n) | BigInt(key[i + 1]!);
  return [k(c * 4), k(c * 4 + 2)];
}

/**
 * secure_tcp_syn_cookie at minute `count`: H0 + sseq + (count << 24) + ((H1 + mssind) & 0xffffff),
 * H0 = hash(0, 0) and H1 = hash(count, 1) over the family's cookie_hash input.
 */
export function refCookie(
  hash: (count: number, c: number) => number,
  sseq: number,
  mssind: number,
  count: number,
): number {
  return (hash(0, 0) + sseq + count * 2 ** 24 + ((hash(count, 1) + mssind) % 2 ** 24)) % 2 ** 32;
}

/** cookie_init_timestamp: ms clock with the low 6 bits = wscale | SACK << 4 (| ECN << 5). */
export function refTsval(now: number, opts: number): number {
  let ts = Math.floor(now / 64) * 64 + opts;
  if (ts > now) ts -= 64;
  return ts;
}
