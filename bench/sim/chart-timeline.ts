// The report's per-bin counters over time: requests queued on the slowest server, clients moved
// to another server, failed requests per second. No kernel counterpart.

import type { SchedResult } from './summary.ts';
import { Plot } from './svg.ts';
import { binTimes, draw, eventMarkers, finiteRange, legendOf } from './chart-style.ts';

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
