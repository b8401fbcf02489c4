// Seeded PRNG for the scheduler simulator (no kernel counterpart): xoshiro128** seeded through
// splitmix32, plus the distributions the workloads draw from. Every random stream of a run is
// fork()ed from the scenario seed by a label, so the arrival stream, the demand stream and the
// client stream are independent of each other and of which scheduler is being simulated
// (common random numbers: every scheduler sees the very same requests).

/** splitmix32 step: turns any 32-bit seed into well-mixed state words. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a of a label, to derive a named sub-stream. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    let s = this.seed;
    this.a = s = splitmix32(s);
    this.b = s = splitmix32(s);
    this.c = s = splitmix32(s);
    this.d = splitmix32(s) | 1; // never the all-zero state
  }

  /** An independent stream named `label` (same seed and label: same stream). */
  fork(label: string): Rng {
    return new Rng(splitmix32(this.seed ^ hashLabel(label)));
  }

  /** xoshiro128**: the next uniform 32-bit integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Exponential with this mean (inverse CDF; 1 - u is in (0, 1], so the log is finite). */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * Pareto (type I) with this mean and shape alpha > 1: scale xm = mean (alpha - 1) / alpha,
   * P(X > x) = (xm / x)^alpha. alpha <= 2 has infinite variance (the heavy tail of web objects).
   */
  pareto(mean: number, alpha: number): number {
    const xm = (mean * (alpha - 1)) / alpha;
    return xm / Math.pow(1 - this.next(), 1 / alpha);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Zipf over ranks 0..n-1: P(rank k) proportional to 1 / (k + 1)^s (s = 0: uniform). Sampling is
 * a binary search in the cumulative table, O(log n).
 */
export class Zipf {
  readonly n: number;
  readonly s: number;
  /** cdf[k] = P(rank <= k); cdf[n - 1] = 1. */
  readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Zipf needs n >= 1, got ${n}`);
    this.n = n;
    this.s = s;
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += s === 0 ? 1 : Math.pow(k + 1, -s);
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k] = this.cdf[k]! / sum;
    this.cdf[n - 1] = 1;
  }

  /** P(rank k). */
  prob(k: number): number {
    return k === 0 ? this.cdf[0]! : this.cdf[k]! - this.cdf[k - 1]!;
  }

  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
