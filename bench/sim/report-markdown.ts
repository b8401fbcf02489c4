// Markdown output of the scheduler simulator's report (summary.md) and the summary table the
// command line prints. No kernel counterpart.

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
