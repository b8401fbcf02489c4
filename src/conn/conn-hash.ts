// Connection hash: Bob Jenkins' jhash_3words (include/linux/jhash.h), as ip_vs_conn_hashkey
// (ip_vs_conn.c) uses it with a random seed (ip_vs_conn_rnd) so clients cannot aim at one bucket.
// The kernel hashes <proto, caddr, cport>; tsvs hashes the whole key of each index
// (caddr, vaddr, cport << 16 | vport; seed ^ proto), which spreads one client talking to many
// virtual services. Pure int32 arithmetic: no allocation, no BigInt.

/** JHASH_INITVAL in include/linux/jhash.h. */
const JHASH_INITVAL = 0xdeadbeef | 0;

function rol32(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * jhash_3words(a, b, c, initval) = __jhash_nwords(a, b, c, initval + JHASH_INITVAL + (3 << 2)),
 * followed by __jhash_final. Returns an int32 (mask it for a bucket index).
 */
export function jhash3(a: number, b: number, c: number, initval: number): number {
  const iv = (initval + JHASH_INITVAL + 12) | 0;
  a = (a + iv) | 0;
  b = (b + iv) | 0;
  c = (c + iv) | 0;
  // __jhash_final(a, b, c)
  c ^= b;
  c = (c - rol32(b, 14)) | 0;
  a ^= c;
  a = (a - rol32(c, 11)) | 0;
  b ^= a;
  b = (b - rol32(a, 25)) | 0;
  c ^= b;
  c = (c - rol32(b, 16)) | 0;
  a ^= c;
  a = (a - rol32(c, 4)) | 0;
  b ^= a;
  b = (b - rol32(a, 14)) | 0;
  c ^= b;
  c = (c - rol32(b, 24)) | 0;
  return c;
}
