// The report's plots, built with svg.ts from the per-scheduler summaries: latency CDF and tail,
// p95 over time, load share per server over time, share against weight, queue at the slowest
// server, client churn on table changes, and the schedulers' own cost. No kernel counterpart.

import type { SchedResult } from './summary.ts';
import type { CostRow } from './cost.ts';
import { Plot, fmtNum, type LegendItem } from './svg.ts';

const SCHED_COLORS: Readonly<Record<string, string>> = {
  rr: '#4e79a7',
  wrr: '#f28e2b',
  lc: '#e15759',
  wlc: '#59a14f',
  sed: '#b07aa1',
  nq: '#9c755f',
  twos: '#17becf',
  sh: '#6a3d9a',
  mh: '#ff7fbf',
  dh: '#7f7f7f',
  lblc: '#2ca02c',
  lblcr: '#8c564b',
  fo: '#1f3a93',
  ovf: '#bcbd22',
};
const SERVER_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
];

export function schedColor(name: string): string {
  return SCHED_COLORS[name] ?? '#333';
}

export function serverColor(i: number): string {
  return SERVER_COLORS[i % SERVER_COLORS.length]!;
}

/**
 * Schedulers whose run came out identical to an earlier one in the list (wrr = rr with equal
 * weights, wlc = lc, ...): name -> the earlier name. Their lines are drawn dashed on top.
 */
export function duplicates(results: readonly SchedResult[]): Map<string, string> {
  const out = new Map<string, string>();
  results.forEach((r, i) => {
    for (let j = 0; j < i; j++) {
      const o = results[j]!;
      if (out.has(o.scheduler)) continue;
      if (
        o.requests === r.requests &&
        o.latency.mean === r.latency.mean &&
        o.latency.max === r.latency.max &&
        o.servers.every((s, k) => s.conns === r.servers[k]!.conns)
      ) {
        out.set(r.scheduler, o.scheduler);
        break;
      }
    }
  });
  return out;
}

function dashOf(results: readonly SchedResult[], name: string): string | undefined {
  return duplicates(results).has(name) ? '7 5' : undefined;
}

function legendOf(results: readonly SchedResult[]): LegendItem[] {
  const dup = duplicates(results);
  return results.map((r) => {
    const d = dup.get(r.scheduler);
    return d === undefined
      ? { name: r.scheduler, color: schedColor(r.scheduler) }
      : { name: `${r.scheduler} (= ${d})`, color: schedColor(r.scheduler), dash: '7 5' };
  });
}

function draw(
  p: Plot,
  results: readonly SchedResult[],
  xs: (r: SchedResult) => readonly number[],
  ys: (r: SchedResult) => readonly number[],
): void {
  for (const r of results) {
    const dash = dashOf(results, r.scheduler);
    p.line(xs(r), ys(r), schedColor(r.scheduler), dash !== undefined ? { dash } : {});
  }
}

export interface Marker {
  readonly x: number;
  readonly label: string;
}

/** Scenario events as markers (seconds), from the first run (they are the same in every run). */
export function eventMarkers(results: readonly SchedResult[]): Marker[] {
  const evs = results[0]?.events ?? [];
  return evs.filter((e) => !e.kind.startsWith('health')).map((e) => ({ x: e.tMs / 1000, label: e.label }));
}

function binTimes(r: SchedResult): number[] {
  return r.binP95.map((_, b) => ((b + 0.5) * r.binMs) / 1000);
}

function finiteRange(values: readonly number[]): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length === 0 ? [1, 10] : [Math.min(...v), Math.max(...v)];
}

const msFmt = (v: number): string => (v >= 1000 ? `${fmtNum(v / 1000)} s` : `${fmtNum(v)} ms`);

export function latencyCdf(results: readonly SchedResult[], width: number): string {
  const [lo, hi] = finiteRange(results.flatMap((r) => r.cdfMs));
  const p = new Plot({
    title: 'Response time CDF (all requests, log time axis)',
    width,
    height: 360,
    legend: legendOf(results),
    x: { min: lo * 0.9, max: hi * 1.1, log: true, label: 'response time', fmt: msFmt },
    y: { min: 0, max: 1, label: 'fraction of requests', fmt: (v) => `${Math.round(v * 100)}%` },
  });
  draw(
    p,
    results,
    (r) => r.cdfMs,
    (r) => r.cdfP,
  );
  return p.render();
}

export function latencyTail(results: readonly SchedResult[], width: number): string {
  const [lo, hi] = finiteRange(results.flatMap((r) => r.cdfMs.slice(r.cdfP.findIndex((q) => q >= 0.5))));
  const p = new Plot({
    title: 'Tail: share of requests slower than x',
    width,
    height: 360,
    legend: legendOf(results),
    x: { min: lo * 0.9, max: hi * 1.1, log: true, label: 'response time', fmt: msFmt },
    y: {
      min: 1e-4,
      max: 1,
      log: true,
      label: 'slower than x',
      ticks: [1, 0.1, 0.01, 0.001, 0.0001],
      fmt: (v) => `${Number((v * 100).toPrecision(1))}%`,
    },
  });
  const tail = (r: SchedResult): number[] => r.cdfP.flatMap((q, i) => (q >= 0.5 && q < 1 ? [i] : []));
  draw(
    p,
    results,
    (r) => tail(r).map((i) => r.cdfMs[i]!),
    (r) => tail(r).map((i) => 1 - r.cdfP[i]!),
  );
  return p.render();
}

export function p95OverTime(results: readonly SchedResult[], width: number): string {
  const [lo, hi] = finiteRange(results.flatMap((r) => r.binP95));
  const log = hi / lo > 30;
  const dur = (results[0]!.binMs * results[0]!.binP95.length) / 1000;
  const p = new Plot({
    title: 'p95 response time over time (by arrival time)',
    width,
    height: 320,
    legend: legendOf(results),
    x: { min: 0, max: dur, label: 'simulated time (s)' },
    y: log
      ? { min: lo * 0.8, max: hi * 1.25, log: true, label: 'p95', fmt: msFmt }
      : { min: 0, max: hi * 1.1, label: 'p95', fmt: msFmt },
  });
  draw(p, results, binTimes, (r) => r.binP95);
  p.markers(eventMarkers(results));
  return p.render();
}

/** Stacked share of picks per server over time (n <= 16), with the weight shares dashed. */
export function shareOverTime(
  r: SchedResult,
  names: readonly string[],
  width: number,
  markers: readonly Marker[],
): string {
  const n = names.length;
  const bins = r.binP95.length;
  const xs = binTimes(r);
  const dur = (r.binMs * bins) / 1000;
  if (n > 16) return shareBandOverTime(r, n, width, markers);
  const p = new Plot({
    title: `${r.scheduler}: share of new connections per server`,
    width,
    height: 260,
    legend: names.map((nm, i) => ({ name: nm, color: serverColor(i), box: true })),
    x: { min: 0, max: dur, label: 'simulated time (s)' },
    y: { min: 0, max: 1, label: 'share', fmt: (v) => `${Math.round(v * 100)}%` },
  });
  const base = new Array<number>(bins).fill(0);
  const wbase = new Array<number>(bins).fill(0);
  for (let s = 0; s < n; s++) {
    const top = base.map((v, b) => v + r.binShare[b * n + s]!);
    p.band(
      [0, ...xs, dur],
      [base[0]!, ...base, base[bins - 1]!],
      [top[0]!, ...top, top[bins - 1]!],
      serverColor(s),
      0.85,
    );
    for (let b = 0; b < bins; b++) base[b] = top[b]!;
    if (s < n - 1) {
      const wtop = wbase.map((v, b) => v + r.binWeightShare[b * n + s]!);
      p.line([0, ...xs, dur], [wtop[0]!, ...wtop, wtop[bins - 1]!], '#000', {
        width: 1.2,
        dash: '4 3',
        step: true,
        opacity: 0.7,
      });
      for (let b = 0; b < bins; b++) wbase[b] = wtop[b]!;
    }
  }
  p.markers(markers);
  return p.render();
}

/** For big farms: spread across servers of (share of picks) / (weight share), per bin. */
function shareBandOverTime(r: SchedResult, n: number, width: number, markers: readonly Marker[]): string {
  const bins = r.binP95.length;
  const xs = binTimes(r);
  const q = (arr: number[], f: number): number => arr[Math.min(arr.length - 1, Math.floor(f * arr.length))] ?? NaN;
  const lo: number[] = [];
  const p10: number[] = [];
  const med: number[] = [];
  const p90: number[] = [];
  const hi: number[] = [];
  for (let b = 0; b < bins; b++) {
    const ratios: number[] = [];
    for (let s = 0; s < n; s++) {
      const w = r.binWeightShare[b * n + s]!;
      if (w > 0) ratios.push(r.binShare[b * n + s]! / w);
    }
    ratios.sort((a, c) => a - c);
    lo.push(q(ratios, 0));
    p10.push(q(ratios, 0.1));
    med.push(q(ratios, 0.5));
    p90.push(q(ratios, 0.9));
    hi.push(q(ratios, 1));
  }
  const top = Math.max(2, ...hi.filter(Number.isFinite));
  const p = new Plot({
    title: `${r.scheduler}: picks / weight share across ${fmtNum(n)} servers (1 = fair)`,
    width,
    height: 260,
    legend: [
      { name: 'min..max', color: '#9ecae1', box: true },
      { name: 'p10..p90', color: '#3182bd', box: true },
      { name: 'median', color: '#08306b' },
    ],
    x: { min: 0, max: (r.binMs * bins) / 1000, label: 'simulated time (s)' },
    y: { min: 0, max: top * 1.05, label: 'share / weight share' },
  });
  p.band(xs, lo, hi, '#9ecae1', 0.5);
  p.band(xs, p10, p90, '#3182bd', 0.5);
  p.line(xs, med, '#08306b', { width: 1.5 });
  p.line([0, (r.binMs * bins) / 1000], [1, 1], '#000', { width: 1, dash: '4 3' });
  p.markers(markers);
  return p.render();
}

/** Share of connections per server (bars) against its weight share (black tick). */
export function shareVsWeight(r: SchedResult, width: number): string {
  const rows = r.servers;
  if (rows.length > 40) return ratioCurve(r, width);
  const top = Math.max(...rows.map((s) => Math.max(s.connShare, s.weightShare))) * 1.15;
  const p = new Plot({
    title: `${r.scheduler}: share of connections vs share of weight`,
    width,
    height: 240,
    legend: [
      { name: 'connections', color: schedColor(r.scheduler), box: true },
      { name: 'weight share', color: '#000' },
    ],
    x: { min: 0, max: rows.length, label: 'real server', ticks: [] },
    y: { min: 0, max: top, label: 'share', fmt: (v) => `${Math.round(v * 100)}%` },
  });
  rows.forEach((s, i) => {
    p.rect(
      i + 0.15,
      0,
      i + 0.85,
      s.connShare,
      schedColor(r.scheduler),
      `${s.name}: ${(s.connShare * 100).toFixed(1)}% of connections, weight share ${(s.weightShare * 100).toFixed(1)}%`,
    );
    p.line([i + 0.08, i + 0.92], [s.weightShare, s.weightShare], '#000', { width: 2.5 });
    p.label(i + 0.5, -top * 0.07, rows.length <= 12 ? s.name : String(i + 1), { size: 10 });
  });
  return p.render();
}

function ratioCurve(r: SchedResult, width: number): string {
  const ratios = r.servers
    .filter((s) => s.weightShare > 0)
    .map((s) => s.connShare / s.weightShare)
    .sort((a, b) => a - b);
  const xs = ratios.map((_, i) => (i + 0.5) / ratios.length);
  const p = new Plot({
    title: `${r.scheduler}: servers sorted by connections / weight share`,
    width,
    height: 240,
    x: { min: 0, max: 1, label: 'servers (sorted)', fmt: (v) => `${Math.round(v * 100)}%` },
    y: { min: 0, max: Math.max(2, ratios[ratios.length - 1] ?? 2) * 1.05, label: 'share / weight share' },
  });
  p.line([0, 1], [1, 1], '#000', { width: 1, dash: '4 3' });
  p.line(xs, ratios, schedColor(r.scheduler));
  return p.render();
}

export function slowQueueOverTime(results: readonly SchedResult[], slowName: string, width: number): string {
  const [lo, hi] = finiteRange(results.flatMap((r) => r.binJobsSlowest));
  const dur = (results[0]!.binMs * results[0]!.binP95.length) / 1000;
  // One backlog in the thousands would flatten the others to zero: log axis then.
  const log = hi / Math.max(lo, 0.1) > 200;
  const floor = Math.max(0.05, lo * 0.8);
  const p = new Plot({
    title: `Requests on the slowest server (${slowName}), time average per bin${log ? ' (log axis)' : ''}`,
    width,
    height: 300,
    legend: legendOf(results),
    x: { min: 0, max: dur, label: 'simulated time (s)' },
    y: log
      ? { min: floor, max: hi * 1.3, log: true, label: 'requests on server' }
      : { min: 0, max: hi * 1.1, label: 'requests on server' },
  });
  draw(p, results, binTimes, (r) => (log ? r.binJobsSlowest.map((v) => Math.max(v, floor)) : r.binJobsSlowest));
  p.markers(eventMarkers(results));
  return p.render();
}

export function churnOverTime(results: readonly SchedResult[], width: number): string {
  const dur = (results[0]!.binMs * results[0]!.binP95.length) / 1000;
  const p = new Plot({
    title: 'Client affinity: share of returning clients sent to a different server than last time',
    width,
    height: 300,
    legend: legendOf(results),
    x: { min: 0, max: dur, label: 'simulated time (s)' },
    y: { min: 0, max: 1, label: 'clients moved', fmt: (v) => `${Math.round(v * 100)}%` },
  });
  draw(p, results, binTimes, (r) => r.binChurn);
  p.markers(eventMarkers(results));
  return p.render();
}

export function failedOverTime(results: readonly SchedResult[], width: number): string {
  const [, hi] = finiteRange(results.flatMap((r) => r.binFailedPerSec));
  const dur = (results[0]!.binMs * results[0]!.binP95.length) / 1000;
  const p = new Plot({
    title: 'Failed requests per second (dropped, sent to a dead server, or cut in flight)',
    width,
    height: 260,
    legend: legendOf(results),
    x: { min: 0, max: dur, label: 'simulated time (s)' },
    y: { min: 0, max: hi * 1.1, label: 'failed / s' },
  });
  draw(p, results, binTimes, (r) => r.binFailedPerSec);
  p.markers(eventMarkers(results));
  return p.render();
}

export function costChart(rows: readonly CostRow[], width: number): string {
  const names = [...new Set(rows.map((r) => r.scheduler))];
  const [lo, hi] = finiteRange(rows.flatMap((r) => [r.nsPick, r.nsOpenClose]));
  const p = new Plot({
    title: 'Scheduler cost: ns per pick (solid) and per pick + open + close accounting (dashed)',
    width,
    height: 340,
    legend: names.map((nm) => ({ name: nm, color: schedColor(nm) })),
    x: { min: 1.5, max: 14000, log: true, label: 'real servers in the service', ticks: [2, 10, 100, 1000, 10000] },
    y: { min: lo * 0.7, max: hi * 1.4, log: true, label: 'ns', fmt: fmtNum },
  });
  for (const nm of names) {
    const mine = rows.filter((r) => r.scheduler === nm).sort((a, b) => a.n - b.n);
    p.line(
      mine.map((r) => r.n),
      mine.map((r) => r.nsPick),
      schedColor(nm),
    );
    p.dots(
      mine.map((r) => r.n),
      mine.map((r) => r.nsPick),
      schedColor(nm),
    );
    p.line(
      mine.map((r) => r.n),
      mine.map((r) => r.nsOpenClose),
      schedColor(nm),
      { dash: '5 4', width: 1.5 },
    );
    p.dots(
      mine.map((r) => r.n),
      mine.map((r) => r.nsOpenClose),
      schedColor(nm),
      2.5,
    );
  }
  return p.render();
}
