// estimator: the IPVS rate estimator, integer for integer (net/netfilter/ipvs/ip_vs_est.c).
// Every 2 s, per stats object (ip_vs_chain_estimation; estimation_timer before Linux 6.2):
//
//   rate = (n_conns - last_conns) << 9;        cps   += ((s64)rate - (s64)cps) >> 2;
//   (same for inpkts, outpkts)                 "scaled by 2^10, but divided 2 seconds"
//   rate = (n_inbytes - last_inbytes) << 4;    inbps += ((s64)rate - (s64)inbps) >> 2;
//   (same for outbytes)                        "scaled by 2^5, but divided 2 seconds"
//
// i.e. avg += (rate - avg) / 4 with an arithmetic shift (floor), an 8 s window. Readers decode
// (ip_vs_read_estimator): cps = (cps + 0x1FF) >> 10, bps = (bps + 0xF) >> 5 — what ipvsadm
// --rate prints as CPS InPPS OutPPS InBPS OutBPS (InBPS/OutBPS are bytes per second). -Z runs
// ip_vs_zero_estimator: last_* = current counters, averages = 0.
// Doubles are exact here while counters stay below 2^44 (deltas are shifted by up to 9 bits);
// the kernel's u64 wrap-around is not modelled.

import { loadStats, STAT_FIELDS, type StatsSource } from './counters.ts';
import type { TimerHandle, Timers } from '../lib/timers.ts';

export const EST_INTERVAL_MS = 2000;

/** Decoded rates (per second). */
export interface RateValues {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
}

/** Left shifts applied to a 2 s delta, per STAT_* field: 2^10/2 for counts, 2^5/2 for bytes. */
const SHIFT = [9, 9, 9, 4, 4];

export class RateEstimator {
  /** last_conns .. last_outbytes. */
  readonly last = new Float64Array(STAT_FIELDS);
  /** cps, inpps, outpps (scaled 2^10), inbps, outbps (scaled 2^5): the kernel's stored values. */
  readonly avg = new Float64Array(STAT_FIELDS);
  private readonly cur = new Float64Array(STAT_FIELDS);

  /** With a source, start from its current counters (no spike for a stats object that already counted). */
  constructor(src?: StatsSource) {
    if (src !== undefined) loadStats(src, this.last);
  }

  /** One estimation tick (every 2 s). */
  estimate(src: StatsSource): void {
    const cur = this.cur;
    loadStats(src, cur);
    for (let i = 0; i < STAT_FIELDS; i++) {
      const n = cur[i] ?? 0;
      const rate = (n - (this.last[i] ?? 0)) * 2 ** (SHIFT[i] ?? 0);
      this.last[i] = n;
      const a = this.avg[i] ?? 0;
      // ((s64)rate - (s64)avg) >> 2: an arithmetic shift, i.e. floor division by 4.
      this.avg[i] = a + Math.floor((rate - a) / 4);
    }
  }

  /** ip_vs_zero_estimator (ipvsadm -Z). */
  zero(src: StatsSource): void {
    loadStats(src, this.last);
    this.avg.fill(0);
  }

  /** ip_vs_read_estimator: decoded rates, rounded as the kernel rounds them. */
  read(out: RateValues): RateValues {
    const a = this.avg;
    out.cps = Math.floor(((a[0] ?? 0) + 0x1ff) / 1024);
    out.inPps = Math.floor(((a[1] ?? 0) + 0x1ff) / 1024);
    out.outPps = Math.floor(((a[2] ?? 0) + 0x1ff) / 1024);
    out.inBps = Math.floor(((a[3] ?? 0) + 0xf) / 32);
    out.outBps = Math.floor(((a[4] ?? 0) + 0xf) / 32);
    return out;
  }
}

export function emptyRates(): RateValues {
  return { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
}

/** The estimator list and its 2 s timer (est_list + est_timer / the estimation kthread). */
export class EstimatorSet {
  private readonly entries = new Map<StatsSource, RateEstimator>();
  private timers: Timers | undefined;
  private handle: TimerHandle | undefined;

  /** ip_vs_start_estimator: track a stats object; returns its estimator. */
  add(src: StatsSource): RateEstimator {
    let e = this.entries.get(src);
    if (e === undefined) {
      e = new RateEstimator(src);
      this.entries.set(src, e);
    }
    return e;
  }

  /** ip_vs_stop_estimator. */
  remove(src: StatsSource): void {
    this.entries.delete(src);
  }

  get(src: StatsSource): RateEstimator | undefined {
    return this.entries.get(src);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimate every tracked object once. */
  tick(): void {
    for (const [src, e] of this.entries) e.estimate(src);
  }

  /** Run tick() every EST_INTERVAL_MS on the given timers until stop(). */
  start(timers: Timers): void {
    this.stop();
    this.timers = timers;
    const arm = (): void => {
      this.handle = timers.setTimeout(() => {
        this.tick();
        arm();
      }, EST_INTERVAL_MS);
    };
    arm();
  }

  stop(): void {
    if (this.timers !== undefined && this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
