// The report's latency plots: response time CDF, its tail on a log axis, and p95 over time.
// No kernel counterpart.

import type { SchedResult } from './summary.ts';
import { Plot } from './svg.ts';
import { binTimes, draw, eventMarkers, finiteRange, legendOf, msFmt } from './chart-style.ts';

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
