// Mulberry32: a small seeded PRNG (32-bit state, period 2^32) for randomness that can be replayed:
// the twos scheduler's stand-in for the kernel's prandom_u32, and the property tests.

export class Mulberry32 {
  state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next uniform 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), this.state | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) (32 random bits). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
}
