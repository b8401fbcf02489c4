// results: what bench/compare records per peer and per run, and the arithmetic over it (median,
// min-max, ratios against nftables, pass/fail of the targets in results.ts (tsvs / nft floors, ahead of the proxies)).

export const TESTS = ['ka', 'close', 'iperf'] as const;
export type TestName = (typeof TESTS)[number];

export const TEST_LABEL: Record<TestName, string> = {
  ka: 'keep-alive req/s',
  close: 'conn-close req/s',
  iperf: 'iperf3 Gbit/s',
};

export interface Sample {
  /** req/s (ka, close) or Gbit/s (iperf). */
  readonly value: number;
  readonly p99Ms: number | null;
  /** Whole machine, % of all cores. */
  readonly busyPct: number;
  readonly softirqPct: number;
  /** Processes inside lvs1 (the LB), % of one core. */
  readonly lbPct: number;
  /** ... of which user space (utime). */
  readonly lbUserPct: number;
  /** Processes inside web1+web2, % of one core. */
  readonly webPct: number;
  /** The load tool (wrk, iperf3 client), % of one core. */
  readonly clientPct: number;
  /** Processes outside the lab (other tenants of a shared box) during the run, % of one core. */
  readonly otherPct: number;
  /** Machine busy % in the second before the run. */
  readonly idleBeforePct: number;
  /** Which round (rep) this was, 1-based: samples of one round ran close together. */
  readonly round: number;
  /** wrk errors, client retransmits, PAWS rejects at the webs, listen drops, tsvs drops... */
  readonly health: Record<string, number>;
  /** tsvs only: engine counters over the run. */
  readonly engine?: EngineSample;
}

export interface EngineSample {
  readonly rxFrames: number;
  /** Receive batches (one onRx callback each). */
  readonly batches: number;
  /** CPU of the processes in lvs1 (tsvsd) per received frame, ns. */
  readonly nsPerFrame: number;
  /** ... user space only (utime): JS and the addon, without syscalls and softirq. */
  readonly userNsPerFrame: number;
  /** Received frames per completed request (wrk runs), 0 for iperf. */
  readonly framesPerRequest: number;
}

export interface Failure {
  readonly round: number;
  readonly reason: string;
}

export interface PeerResult {
  readonly name: string;
  readonly samples: Record<TestName, Sample[]>;
  readonly failures: Record<TestName, Failure[]>;
  dist: { web1: number; web2: number; other: number } | null;
  distError: string | null;
}

export function emptyResult(name: string): PeerResult {
  return {
    name,
    samples: { ka: [], close: [], iperf: [] },
    failures: { ka: [], close: [], iperf: [] },
    dist: null,
    distError: null,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 === 1 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Median of one test's values for a peer, NaN when it has none. */
export function medianOf(r: PeerResult | undefined, t: TestName): number {
  return r === undefined ? NaN : median(r.samples[t].map((s) => s.value));
}

/** Ratio of medians a/b, NaN when either is missing. */
export function ratio(a: PeerResult | undefined, b: PeerResult | undefined, t: TestName): number {
  const x = medianOf(a, t);
  const y = medianOf(b, t);
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? x / y : NaN;
}

/** Other tenants' CPU (% of one core) during a run above which the run counts as contaminated. */
export const CLEAN_OTHER_PCT = 5;

/** A run on a quiet box: idle before it, and (almost) no other tenant during it. */
export function isClean(s: Sample, idleMax: number): boolean {
  return s.otherPct < CLEAN_OTHER_PCT && s.idleBeforePct <= idleMax;
}

/**
 * Per-round ratios a/b (only rounds where both ran), for the spread of a paired comparison;
 * with idleMax, only rounds where both runs were clean (isClean).
 */
export function pairedRatios(a: PeerResult, b: PeerResult, t: TestName, idleMax?: number): number[] {
  const out: number[] = [];
  for (const s of a.samples[t]) {
    const o = b.samples[t].find((x) => x.round === s.round);
    if (o === undefined || !(o.value > 0)) continue;
    if (idleMax !== undefined && !(isClean(s, idleMax) && isClean(o, idleMax))) continue;
    out.push(s.value / o.value);
  }
  return out;
}

export interface TargetCheck {
  readonly what: string;
  readonly measured: number;
  readonly need: number;
  /** 'met' | 'missed' | 'n/a' (a side is missing or failed). */
  readonly verdict: string;
}

/** Issue 5's targets for one tsvs peer: ratios vs nft, and ahead of haproxy and nginx stream. */
export type RatioFn = (a: PeerResult | undefined, b: PeerResult | undefined, t: TestName) => number;

/** The median of the clean per-round ratios (see pairedRatios), NaN when there is none. */
export function cleanRatio(idleMax: number): RatioFn {
  return (a, b, t) => (a === undefined || b === undefined ? NaN : median(pairedRatios(a, b, t, idleMax)));
}

export function targetChecks(
  tsvs: PeerResult,
  byName: ReadonlyMap<string, PeerResult>,
  ratioFn: RatioFn = ratio,
): TargetCheck[] {
  const nft = byName.get('nft');
  // "ahead of" is a strict > 1; the nft ratios are >= their floor.
  const check = (what: string, measured: number, need: number, strict = false): TargetCheck => ({
    what,
    measured,
    need,
    verdict: Number.isFinite(measured) ? ((strict ? measured > need : measured >= need) ? 'met' : 'missed') : 'n/a',
  });
  const out: TargetCheck[] = [
    check('new-connection (conn-close) req/s >= 0.9x nft', ratioFn(tsvs, nft, 'close'), 0.9),
    check('keep-alive req/s >= 0.8x nft', ratioFn(tsvs, nft, 'ka'), 0.8),
    check('bulk iperf3 Gbit/s >= 0.6x nft', ratioFn(tsvs, nft, 'iperf'), 0.6),
  ];
  for (const peer of ['haproxy', 'nginx-stream']) {
    for (const t of TESTS) {
      out.push(check(`${TEST_LABEL[t]} ahead of ${peer}`, ratioFn(tsvs, byName.get(peer), t), 1, true));
    }
  }
  return out;
}

/** What run.ts writes to results.json (the part pool.ts reads). */
export interface RunFile {
  readonly header: readonly string[];
  readonly options: { readonly idleMax: number };
  readonly results: readonly PeerResult[];
}

/** Merges runs: run i's round r becomes round 1000*i + r, so rounds of different runs never pair. */
export function poolRuns(runs: readonly RunFile[]): PeerResult[] {
  const byName = new Map<string, PeerResult>();
  runs.forEach((run, i) => {
    for (const r of run.results) {
      let p = byName.get(r.name);
      if (p === undefined) {
        p = emptyResult(r.name);
        byName.set(r.name, p);
      }
      for (const t of TESTS) {
        for (const s of r.samples[t]) p.samples[t].push({ ...s, round: 1000 * i + s.round });
        for (const f of r.failures[t]) p.failures[t].push({ ...f, round: 1000 * i + f.round });
      }
      if (r.dist !== null) {
        const d = p.dist ?? { web1: 0, web2: 0, other: 0 };
        p.dist = { web1: d.web1 + r.dist.web1, web2: d.web2 + r.dist.web2, other: d.other + r.dist.other };
      }
    }
  });
  return [...byName.values()];
}
