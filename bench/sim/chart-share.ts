// The report's load-share plots: share of new connections per server over time (a band of
// ratios for big farms) and share of connections against share of weight. No kernel counterpart.

import type { SchedResult } from './summary.ts';
import { Plot } from './svg.ts';
import { fmtNum } from './svg-axis.ts';
import { binTimes, schedColor, serverColor, type Marker } from './chart-style.ts';

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
