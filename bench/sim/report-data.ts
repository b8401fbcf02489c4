// What a report is made of, and the number formats and table rows that the HTML, markdown and
// CSV outputs share. No kernel counterpart.

import type { Scenario } from './scenario.ts';
import type { SchedResult } from './summary.ts';
import type { CostRow } from './cost.ts';
import { ipToString } from '../../src/lib/inet.ts';

export interface Report {
  readonly scenario: Scenario;
  readonly durationSec: number;
  readonly results: readonly SchedResult[];
  /** null when the cost bench was not run (costNote says why). */
  readonly cost: readonly CostRow[] | null;
  readonly costNote: string;
  /** The command line that made it. */
  readonly command: string;
}

export function fmtMs(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v >= 10000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

export function fmtPct(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(digits)}%` : '–';
}

export function fmtX(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}

export interface Column {
  readonly head: string;
  readonly cell: (r: SchedResult) => string;
  /** For "best" highlighting: the number compared (lower is better); none = not highlighted. */
  readonly key?: (r: SchedResult) => number;
}

/** The headline table, one row per scheduler. */
export const SUMMARY_COLUMNS: readonly Column[] = [
  { head: 'scheduler', cell: (r) => r.scheduler },
  { head: 'p50', cell: (r) => fmtMs(r.latency.p50), key: (r) => r.latency.p50 },
  { head: 'p95', cell: (r) => fmtMs(r.latency.p95), key: (r) => r.latency.p95 },
  { head: 'p99', cell: (r) => fmtMs(r.latency.p99), key: (r) => r.latency.p99 },
  { head: 'mean', cell: (r) => fmtMs(r.latency.mean), key: (r) => r.latency.mean },
  { head: 'failed', cell: (r) => fmtPct(r.failedShare, 2), key: (r) => r.failedShare },
  { head: 'conns/weight max÷mean', cell: (r) => fmtX(r.shareMaxMean) },
  { head: 'conns/weight CV', cell: (r) => fmtX(r.shareCv, 3) },
  { head: 'util max÷mean', cell: (r) => fmtX(r.utilMaxMean) },
  { head: 'util CV', cell: (r) => fmtX(r.utilCv, 3) },
  { head: 'slowest: mean queue', cell: (r) => fmtX(r.slowest.meanJobs, 1), key: (r) => r.slowest.meanJobs },
  { head: 'slowest: max queue', cell: (r) => String(r.slowest.maxJobs), key: (r) => r.slowest.maxJobs },
  { head: 'slowest: p95', cell: (r) => fmtMs(r.slowest.p95Ms), key: (r) => r.slowest.p95Ms },
];

/** Index of the best (lowest) value per column, to highlight; -1 if all equal or none. */
export function bestRows(results: readonly SchedResult[], col: Column): Set<number> {
  if (col.key === undefined || results.length < 2) return new Set();
  const vals = results.map(col.key);
  const finite = vals.filter(Number.isFinite);
  if (finite.length === 0) return new Set();
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  if (max - min <= Math.abs(min) * 0.005) return new Set();
  return new Set(vals.flatMap((v, i) => (v <= min * 1.005 ? [i] : [])));
}

export function describeScenario(sc: Scenario, durationSec: number): string[] {
  const a = sc.arrivals;
  const arr =
    a.kind === 'poisson'
      ? `Poisson ${a.ratePerSec}/s${a.phases.map((p) => `, ${p.ratePerSec}/s from ${p.fromSec} s to ${p.toSec} s`).join('')}`
      : a.kind === 'onoff'
        ? `on/off bursts: ${a.onRatePerSec}/s for ~${a.meanOnSec} s, ${a.offRatePerSec}/s for ~${a.meanOffSec} s (exponential periods)`
        : `replayed trace ${a.file}${a.loop ? ' (looped)' : ''}`;
  const d = sc.demand;
  const dem =
    d.kind === 'exp'
      ? `exponential, mean ${d.meanMs} ms`
      : d.kind === 'pareto'
        ? `Pareto (heavy tail) alpha ${d.alpha}, mean ${d.meanMs} ms`
        : `fixed ${d.ms} ms`;
  const model = sc.serverModel.kind === 'ps' ? 'processor sharing' : `FIFO with ${sc.serverModel.slots} worker slot(s)`;
  const nStandby = sc.servers.filter((s) => s.standby).length;
  const svc =
    `TCP ${ipToString(sc.service.vip)}:${sc.service.port}` +
    (sc.service.persistentSec > 0 ? `, persistent -p ${sc.service.persistentSec}` : '') +
    (sc.service.schedFlags.length > 0 ? `, -b ${sc.service.schedFlags.join(',')}` : '') +
    (sc.destinations !== null ? `, firewall-mark cache service over ${sc.destinations.count} destinations` : '');
  return [
    `Service: ${svc}, NAT (-m)`,
    `Real servers: ${sc.servers.length}${nStandby > 0 ? ` (${nStandby} standby, added by an event)` : ''}; server model: ${model}`,
    `Arrivals: ${arr}`,
    a.kind === 'trace'
      ? `Demand per request: from the trace${a.bytesPerMs !== 1 ? ` (sizes at ${a.bytesPerMs} bytes per ms of work at capacity 1)` : ''}`
      : `Demand per request: ${dem} of work at capacity 1`,
    `Clients: ${a.kind === 'trace' ? 'from the trace; rows without one draw from ' : ''}${sc.clients.count} addresses, Zipf s = ${sc.clients.zipf}`,
    ...(sc.events.some((e) => e.action === 'fail')
      ? [
          `Health check: reacts after ${sc.healthCheck.delaySec} s by ${sc.healthCheck.onFailure === 'remove' ? 'removing the server (-d)' : 'setting weight 0 (-e -w 0)'}; clients give up after ${sc.clientTimeoutSec} s`,
        ]
      : []),
    `Simulated: ${durationSec} s, seed ${sc.seed}${sc.warmupSec > 0 ? `, first ${sc.warmupSec} s left out of latency` : ''}`,
  ];
}

/** One table change, across schedulers (rows of the disruption table). */
export interface EventRow {
  readonly tMs: number;
  readonly label: string;
  /** Per scheduler (in result order): a short text per figure that applies. */
  readonly cells: readonly string[][];
}

export function eventRows(results: readonly SchedResult[]): EventRow[] {
  const first = results[0];
  if (first === undefined) return [];
  return first.events.map((e, k) => ({
    tMs: e.tMs,
    label: e.label,
    cells: results.map((r) => {
      const ev = r.events[k];
      if (ev === undefined) return [];
      const out: string[] = [];
      if (ev.brokenInFlight > 0) out.push(`${ev.brokenInFlight} cut in flight`);
      if (ev.lostBeforeDetection > 0) out.push(`${ev.lostBeforeDetection} lost before detection`);
      if (ev.disruption !== null)
        out.push(`${fmtPct(ev.disruption.clients)} of clients moved (min ${fmtPct(ev.disruption.mustMove)})`);
      return out;
    }),
  }));
}

/** The cost rows pivoted: one row per scheduler, ns per pick and per pick + open + close by n. */
export function costPivot(rows: readonly CostRow[]): {
  sizes: number[];
  table: { scheduler: string; pick: number[]; full: number[] }[];
} {
  const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const names = [...new Set(rows.map((r) => r.scheduler))];
  return {
    sizes,
    table: names.map((scheduler) => {
      const at = (n: number): CostRow | undefined => rows.find((r) => r.scheduler === scheduler && r.n === n);
      return {
        scheduler,
        pick: sizes.map((n) => at(n)?.nsPick ?? NaN),
        full: sizes.map((n) => at(n)?.nsOpenClose ?? NaN),
      };
    }),
  };
}

/** How latency is measured, for the notes under the summary tables. */
export const LATENCY_NOTE =
  'Latency counts every request that arrived during the run (after any warm-up), from its SYN to the end of its response. ' +
  'Arrivals go on after the end, unmeasured, until every measured request has finished (for at most another run length); ' +
  'any still unfinished then count with their age so far, so an overloaded server cannot hide its backlog.';
