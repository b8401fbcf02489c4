// Markdown and CSV outputs of the scheduler simulator's report. No kernel counterpart.

import {
  LATENCY_NOTE,
  SUMMARY_COLUMNS,
  costPivot,
  describeScenario,
  eventRows,
  fmtMs,
  fmtPct,
  fmtX,
  type Report,
} from './report-data.ts';
import type { SchedResult } from './summary.ts';

function mdTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: (i: number) => boolean = (i) => i > 0,
): string {
  const sep = head.map((_, i) => (right(i) ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function summaryTableMd(results: readonly SchedResult[]): string {
  return mdTable(
    SUMMARY_COLUMNS.map((c) => c.head),
    results.map((r) => SUMMARY_COLUMNS.map((c) => c.cell(r))),
  );
}

function serverRowsMd(r: SchedResult): string {
  let rows = r.servers.map((s, i) => ({ s, i }));
  let note = '';
  if (rows.length > 16) {
    const ratio = (x: { s: SchedResult['servers'][number] }): number =>
      x.s.weightShare > 0 ? x.s.connShare / x.s.weightShare : Infinity;
    rows = rows.filter((x) => x.s.weightShare > 0).sort((a, b) => ratio(a) - ratio(b));
    rows = [...rows.slice(0, 5), ...rows.slice(-5)];
    note = `\n\n(${r.servers.length} servers: the 5 least and 5 most loaded per weight; all in servers.csv)`;
  }
  return (
    mdTable(
      [
        'server',
        'weight',
        'capacity',
        'weight share',
        'conn share',
        'work share',
        'util',
        'mean queue',
        'max queue',
        'mean response',
      ],
      rows.map(({ s }) => [
        s.name,
        String(s.weight),
        fmtX(s.capacity),
        fmtPct(s.weightShare),
        fmtPct(s.connShare),
        fmtPct(s.workShare),
        fmtPct(s.util),
        fmtX(s.meanJobs, 2),
        String(s.maxJobs),
        fmtMs(s.meanRespMs),
      ]),
      (i) => i > 0,
    ) + note
  );
}

export function eventsTableMd(results: readonly SchedResult[]): string {
  const rows = eventRows(results);
  if (rows.length === 0) return '(no table changes in this scenario)';
  return mdTable(
    ['t (s)', 'event', ...results.map((r) => r.scheduler)],
    rows.map((e) => [fmtX(e.tMs / 1000, 1), e.label, ...e.cells.map((c) => (c.length === 0 ? '–' : c.join('; ')))]),
    (i) => i === 0,
  );
}

export function renderMarkdown(rep: Report): string {
  const sc = rep.scenario;
  const out: string[] = [];
  out.push(`# ${sc.title}`, '', `Scenario \`${sc.name}\`. **What it teaches:** ${sc.teaches}`, '');
  for (const l of describeScenario(sc, rep.durationSec)) out.push(`- ${l}`);
  out.push('', `Command: \`${rep.command}\``, '', '## Summary', '', summaryTableMd(rep.results), '');
  out.push(
    `${LATENCY_NOTE} ` +
      '"conns/weight" compares each server\'s share of new connections with its share of weight x time; "util" is work done / capacity offered. ' +
      '"failed" = dropped + sent to a dead server before the health check noticed + cut in flight.',
    '',
  );
  out.push('## Table changes and disruption', '', eventsTableMd(rep.results), '');
  out.push('## Per server', '');
  for (const r of rep.results) out.push(`### ${r.scheduler}`, '', serverRowsMd(r), '');
  out.push('## Scheduler cost (bench/sched.bench.ts, benny)', '');
  if (rep.cost === null || rep.cost.length === 0) out.push(rep.costNote, '');
  else {
    const { sizes, table } = costPivot(rep.cost);
    out.push(
      mdTable(
        ['scheduler', ...sizes.map((n) => `ns/pick n=${n}`), ...sizes.map((n) => `pick+open+close n=${n}`)],
        table.map((c) => [c.scheduler, ...c.pick.map((v) => fmtX(v, 1)), ...c.full.map((v) => fmtX(v, 1))]),
      ),
      '',
      rep.costNote,
      '',
    );
  }
  return out.join('\n');
}

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
