// Figures of one simulation run, computed after it: latency percentiles and CDF, per-server load
// share against weight share, imbalance, queueing at the slowest server, per-bin time series and
// the table-change disruption. No kernel counterpart.

import { DROP_NAMES } from '../../src/lib/drops.ts';
import type { EventRecord } from './recorder.ts';
import { percentiles, quantile, spread, type Percentiles } from './stats.ts';

export type { Percentiles } from './stats.ts';
import type { SimRun } from './simulate.ts';

export interface ServerRow {
  readonly name: string;
  readonly weight: number;
  readonly capacity: number;
  /** Share of weight x time the server was entitled to. */
  readonly weightShare: number;
  readonly conns: number;
  readonly connShare: number;
  readonly workShare: number;
  /** Work done / capacity offered (0..1). */
  readonly util: number;
  /** Time-average requests on the server, and the most at once. */
  readonly meanJobs: number;
  readonly maxJobs: number;
  readonly meanRespMs: number;
}

export interface SchedResult {
  readonly scheduler: string;
  readonly requests: number;
  readonly completed: number;
  readonly censored: number;
  readonly dropped: number;
  readonly dropReasons: Readonly<Record<string, number>>;
  readonly lostToDead: number;
  readonly broken: number;
  /** (dropped + lost to a dead server + broken in flight) / requests. */
  readonly failedShare: number;
  readonly latency: Percentiles;
  /** CDF points: cdfMs[i] is the cdfP[i] quantile. */
  readonly cdfMs: number[];
  readonly cdfP: number[];
  readonly servers: ServerRow[];
  /** Connections per weight share: max / mean and coefficient of variation over entitled servers. */
  readonly shareMaxMean: number;
  readonly shareCv: number;
  readonly utilMaxMean: number;
  readonly utilCv: number;
  readonly slowest: {
    readonly index: number;
    readonly why: string;
    readonly meanJobs: number;
    readonly maxJobs: number;
    readonly p95Ms: number;
    readonly util: number;
  };
  readonly binMs: number;
  readonly binP95: number[];
  readonly binMean: number[];
  readonly binFailedPerSec: number[];
  readonly binArrivalsPerSec: number[];
  /** Of clients seen before, the fraction sent to a different server than last time (NaN: none). */
  readonly binChurn: number[];
  /** Per bin, per server: share of the bin's picks, and of the weight in the service. */
  readonly binShare: Float32Array;
  readonly binWeightShare: Float32Array;
  /** Per bin: time-average requests on the slowest server. */
  readonly binJobsSlowest: number[];
  readonly events: readonly EventRecord[];
  readonly pickLog: readonly string[];
  readonly wallMs: number;
  readonly connCapacity: number;
}

const CDF_LEVELS: number[] = (() => {
  const out: number[] = [];
  for (let i = 1; i < 200; i++) out.push(i / 200);
  out.push(0.996, 0.997, 0.998, 0.999, 0.9995, 0.9999, 1);
  return out;
})();

export function summarize(run: SimRun, slow: Slowest = slowestServer([run])): SchedResult {
  const rec = run.rec;
  const n = rec.n;
  const sc = run.scenario;
  const all = rec.resp.slice(0, rec.respCount).sort();
  // per server samples, per bin samples: counting sort by key, then sort each run
  const byServer = groupSorted(rec, rec.respServer, n);
  const byBin = groupSorted(rec, rec.respBin, rec.bins);
  let totalPicks = 0;
  let totalWork = 0;
  let totalWeight = 0;
  for (let s = 0; s < n; s++) {
    totalPicks += rec.picks[s]!;
    totalWork += rec.workAssigned[s]!;
    totalWeight += rec.weightArea[s]!;
  }
  const servers: ServerRow[] = sc.servers.map((sp, s) => {
    const mine = byServer[s]!;
    let sum = 0;
    for (let i = 0; i < mine.length; i++) sum += mine[i]!;
    const capArea = rec.endAreaCapacity[s]!;
    return {
      name: sp.name,
      weight: sp.weight,
      capacity: sp.capacity,
      weightShare: totalWeight > 0 ? rec.weightArea[s]! / totalWeight : 0,
      conns: rec.picks[s]!,
      connShare: totalPicks > 0 ? rec.picks[s]! / totalPicks : 0,
      workShare: totalWork > 0 ? rec.workAssigned[s]! / totalWork : 0,
      util: capArea > 0 ? rec.endWorkDone[s]! / capArea : 0,
      meanJobs: rec.endAreaJobs[s]! / run.durationMs,
      maxJobs: rec.endMaxJobs[s]!,
      meanRespMs: mine.length > 0 ? sum / mine.length : NaN,
    };
  });
  const entitled = servers.filter((r) => r.weightShare > 0);
  const share = spread(entitled.map((r) => r.connShare / r.weightShare));
  const util = spread(
    servers.filter((r, s) => rec.endAreaCapacity[s]! > 0 && !sc.servers[s]!.standby).map((r) => r.util),
  );
  const slowSamples = byServer[slow.index]!;
  const binShare = new Float32Array(rec.bins * n);
  const binWeightShare = new Float32Array(rec.bins * n);
  for (let b = 0; b < rec.bins; b++) {
    let p = 0;
    let w = 0;
    for (let s = 0; s < n; s++) {
      p += rec.binPicks[b * n + s]!;
      w += rec.binWeight[b * n + s]!;
    }
    for (let s = 0; s < n; s++) {
      binShare[b * n + s] = p > 0 ? rec.binPicks[b * n + s]! / p : 0;
      binWeightShare[b * n + s] = w > 0 ? rec.binWeight[b * n + s]! / w : 0;
    }
  }
  const binSec = rec.binMs / 1000;
  let dropped = 0;
  const dropReasons: Record<string, number> = {};
  rec.drops.forEach((c, i) => {
    if (c > 0) {
      dropReasons[DROP_NAMES[i] ?? String(i)] = c;
      dropped += c;
    }
  });
  return {
    scheduler: run.scheduler,
    requests: rec.arrivals,
    completed: rec.completed,
    censored: rec.censored,
    dropped,
    dropReasons,
    lostToDead: rec.lostToDead,
    broken: rec.broken,
    failedShare: rec.arrivals > 0 ? (dropped + rec.lostToDead + rec.broken) / rec.arrivals : 0,
    latency: percentiles(all),
    cdfMs: CDF_LEVELS.map((p) => quantile(all, p)),
    cdfP: CDF_LEVELS,
    servers,
    shareMaxMean: share.maxMean,
    shareCv: share.cv,
    utilMaxMean: util.maxMean,
    utilCv: util.cv,
    slowest: {
      ...slow,
      meanJobs: servers[slow.index]!.meanJobs,
      maxJobs: servers[slow.index]!.maxJobs,
      p95Ms: quantile(slowSamples, 0.95),
      util: servers[slow.index]!.util,
    },
    binMs: rec.binMs,
    binP95: byBin.map((a) => quantile(a, 0.95)),
    binMean: byBin.map((a) => (a.length > 0 ? a.reduce((x, y) => x + y, 0) / a.length : NaN)),
    binFailedPerSec: [...rec.binFailed].map((x) => x / binSec),
    binArrivalsPerSec: [...rec.binArrivals].map((x) => x / binSec),
    binChurn: [...rec.binRepeat].map((r, b) => (r > 0 ? rec.binChanged[b]! / r : NaN)),
    binShare,
    binWeightShare,
    binJobsSlowest: Array.from({ length: rec.bins }, (_, b) => rec.binJobsArea[b * n + slow.index]! / rec.binMs),
    events: rec.events,
    pickLog: rec.pickLog,
    wallMs: run.wallMs,
    connCapacity: run.connCapacity,
  };
}

export interface Slowest {
  readonly index: number;
  readonly why: string;
}

/**
 * The server whose queue the report follows, the same for every scheduler: the one with the
 * least capacity (after slow-down events); among equals, the one that queued most summed over
 * all the runs.
 */
export function slowestServer(runs: readonly SimRun[]): Slowest {
  const sc = runs[0]!.scenario;
  const eff = sc.servers.map((sp) => {
    let f = 1;
    for (const e of sc.events) if (e.action === 'slow' && e.server === sp.name && e.factor < f) f = e.factor;
    return sp.capacity * f;
  });
  const min = Math.min(...eff);
  const queued = (i: number): number => runs.reduce((a, r) => a + r.rec.endAreaJobs[i]!, 0);
  let best = -1;
  eff.forEach((c, i) => {
    if (c === min && (best < 0 || queued(i) > queued(best))) best = i;
  });
  if (eff.every((c) => c === min)) return { index: best, why: 'equal capacities: the one that queued most' };
  return { index: best, why: eff[best] !== sc.servers[best]!.capacity ? 'slowed down' : 'least capacity' };
}

/** The response samples grouped by key (server or bin), each group sorted. */
function groupSorted(rec: SimRun['rec'], keys: Int32Array | Uint16Array, k: number): Float64Array[] {
  const counts = new Int32Array(k + 1);
  for (let i = 0; i < rec.respCount; i++) counts[keys[i]! + 1] = counts[keys[i]! + 1]! + 1;
  for (let j = 1; j <= k; j++) counts[j] = counts[j]! + counts[j - 1]!;
  const flat = new Float64Array(rec.respCount);
  const pos = counts.slice(0, k);
  for (let i = 0; i < rec.respCount; i++) {
    const key = keys[i]!;
    flat[pos[key]!] = rec.resp[i]!;
    pos[key] = pos[key]! + 1;
  }
  const out: Float64Array[] = [];
  for (let j = 0; j < k; j++) out.push(flat.subarray(counts[j]!, counts[j + 1]!).sort());
  return out;
}
