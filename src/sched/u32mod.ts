// x % m for a uint32 x without V8's floating-point modulo (a C call when x >= 2^31 is a double):
// kernel code does `hash % IP_VS_MH_TAB_SIZE` and `prandom_u32() % total_weight` on u32 values.
//
// q = floor(x / m) from one double division can be one off when x / m lies within rounding of
// an integer, but r = x - q * m is exact (all terms < 2^53), so one correction step suffices.

/**
 * x % m for 0 <= x < 2^32 (given as a uint32 or as its int32 bit pattern, so callers can pass
 * int32 hashes without boxing) and 1 <= m < 2^31.
 */
export function u32mod(bits: number, m: number): number {
  const x = bits >>> 0;
  const q = Math.floor(x / m);
  let r = x - q * m;
  if (r < 0) r += m;
  else if (r >= m) r -= m;
  return r;
}
