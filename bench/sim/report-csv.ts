// CSV outputs of the scheduler simulator's report: summary, servers, events, time series and
// latency CDF, one file each. No kernel counterpart.

import type { Report } from './report-data.ts';

function csv(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (v: string | number): string =>
    typeof v === 'number'
      ? Number.isFinite(v)
        ? String(Number(v.toPrecision(8)))
        : ''
      : /[",\n]/.test(v)
        ? `"${v.replace(/"/g, '""')}"`
        : v;
  return [head, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

export function renderCsv(rep: Report): Record<string, string> {
  const res = rep.results;
  const files: Record<string, string> = {};
  files['summary.csv'] = csv(
    [
      'scheduler',
      'requests',
      'completed',
      'unfinished',
      'dropped',
      'lost_to_dead',
      'cut_in_flight',
      'failed_share',
      'mean_ms',
      'p50_ms',
      'p90_ms',
      'p95_ms',
      'p99_ms',
      'p999_ms',
      'max_ms',
      'share_max_mean',
      'share_cv',
      'util_max_mean',
      'util_cv',
      'slowest',
      'slowest_mean_queue',
      'slowest_max_queue',
      'slowest_p95_ms',
      'wall_ms',
    ],
    res.map((r) => [
      r.scheduler,
      r.requests,
      r.completed,
      r.censored,
      r.dropped,
      r.lostToDead,
      r.broken,
      r.failedShare,
      r.latency.mean,
      r.latency.p50,
      r.latency.p90,
      r.latency.p95,
      r.latency.p99,
      r.latency.p999,
      r.latency.max,
      r.shareMaxMean,
      r.shareCv,
      r.utilMaxMean,
      r.utilCv,
      r.servers[r.slowest.index]!.name,
      r.slowest.meanJobs,
      r.slowest.maxJobs,
      r.slowest.p95Ms,
      r.wallMs,
    ]),
  );
  files['servers.csv'] = csv(
    [
      'scheduler',
      'server',
      'weight',
      'capacity',
      'weight_share',
      'conns',
      'conn_share',
      'work_share',
      'util',
      'mean_queue',
      'max_queue',
      'mean_response_ms',
    ],
    res.flatMap((r) =>
      r.servers.map((s) => [
        r.scheduler,
        s.name,
        s.weight,
        s.capacity,
        s.weightShare,
        s.conns,
        s.connShare,
        s.workShare,
        s.util,
        s.meanJobs,
        s.maxJobs,
        s.meanRespMs,
      ]),
    ),
  );
  files['latency-cdf.csv'] = csv(
    ['scheduler', 'quantile', 'response_ms'],
    res.flatMap((r) => r.cdfP.map((p, i) => [r.scheduler, p, r.cdfMs[i]!])),
  );
  files['timeseries.csv'] = csv(
    [
      'scheduler',
      'bin_start_s',
      'arrivals_per_s',
      'failed_per_s',
      'p95_ms',
      'mean_ms',
      'client_churn',
      'slowest_queue',
    ],
    res.flatMap((r) =>
      r.binP95.map((p, b) => [
        r.scheduler,
        (b * r.binMs) / 1000,
        r.binArrivalsPerSec[b]!,
        r.binFailedPerSec[b]!,
        p,
        r.binMean[b]!,
        r.binChurn[b]!,
        r.binJobsSlowest[b]!,
      ]),
    ),
  );
  files['events.csv'] = csv(
    [
      'scheduler',
      't_s',
      'kind',
      'server',
      'label',
      'cut_in_flight',
      'lost_before_detection',
      'clients_moved',
      'traffic_moved',
      'had_to_move',
    ],
    res.flatMap((r) =>
      r.events.map((e) => [
        r.scheduler,
        e.tMs / 1000,
        e.kind,
        e.server,
        e.label,
        e.brokenInFlight,
        e.lostBeforeDetection,
        e.disruption?.clients ?? NaN,
        e.disruption?.traffic ?? NaN,
        e.disruption?.mustMove ?? NaN,
      ]),
    ),
  );
  if (rep.cost !== null) {
    files['cost.csv'] = csv(
      ['scheduler', 'n', 'ns_pick', 'ns_pick_open', 'ns_pick_open_close', 'picks_per_s'],
      rep.cost.map((c) => [c.scheduler, c.n, c.nsPick, c.nsOpen, c.nsOpenClose, c.picksPerSec]),
    );
  }
  return files;
}
