// What every plot of the report shares: one colour per scheduler and per server, the dashed
// lines of schedulers that came out identical to an earlier one, the legend, the scenario's event
// markers and the time bins' centres. No kernel counterpart.

import type { SchedResult } from './summary.ts';
import type { Plot, LegendItem } from './svg.ts';
import { fmtNum } from './svg-axis.ts';

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

export function legendOf(results: readonly SchedResult[]): LegendItem[] {
  const dup = duplicates(results);
  return results.map((r) => {
    const d = dup.get(r.scheduler);
    return d === undefined
      ? { name: r.scheduler, color: schedColor(r.scheduler) }
      : { name: `${r.scheduler} (= ${d})`, color: schedColor(r.scheduler), dash: '7 5' };
  });
}

export function draw(
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

export function binTimes(r: SchedResult): number[] {
  return r.binP95.map((_, b) => ((b + 0.5) * r.binMs) / 1000);
}

export function finiteRange(values: readonly number[]): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length === 0 ? [1, 10] : [Math.min(...v), Math.max(...v)];
}

export const msFmt = (v: number): string => (v >= 1000 ? `${fmtNum(v / 1000)} s` : `${fmtNum(v)} ms`);
