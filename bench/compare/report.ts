// report: the markdown tables bench/compare prints: peers side by side (median and min-max of the
// reps), CPU, ratios against nftables, the targets in results.ts (tsvs / nft floors, ahead of
// the proxies), and the health counters per run.

import {
  median,
  pairedRatios,
  ratio,
  spread,
  targetChecks,
  TEST_LABEL,
  TESTS,
  type PeerResult,
  type RatioFn,
  type Sample,
  type TestName,
} from './results.ts';
import type { Options } from './options.ts';

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function cell(xs: readonly number[], digits: number): string {
  const s = spread(xs);
  if (s === null) return '-';
  return s.n === 1 ? num(s.median, digits) : `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** A value cell: median (min–max), with failed reps called out. */
function valueCell(r: PeerResult, t: TestName, pick: (s: Sample) => number | null, digits: number): string {
  const xs = r.samples[t].map(pick).filter((v): v is number => v !== null);
  const failed = r.failures[t].length;
  if (xs.length === 0) return failed > 0 ? `FAILED (${failed}/${failed})` : '-';
  const base = cell(xs, digits);
  return failed > 0 ? `${base} [${failed} failed]` : base;
}

function triple(r: PeerResult, pick: (s: Sample) => number): string {
  return TESTS.map((t) => num(median(r.samples[t].map(pick)), 0)).join(' / ');
}

export function mainTable(results: readonly PeerResult[]): string[] {
  const out = [
    '| peer | keep-alive req/s | keep-alive p99 ms | conn-close req/s | conn-close p99 ms | iperf3 Gbit/s | curls web1/web2 |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const dist =
      r.dist !== null
        ? `${r.dist.web1}/${r.dist.web2}${r.dist.other > 0 ? ` (+${r.dist.other} failed)` : ''}`
        : (r.distError ?? '-');
    out.push(
      `| ${r.name} | ${valueCell(r, 'ka', (s) => s.value, 0)} | ${valueCell(r, 'ka', (s) => s.p99Ms, 2)} | ` +
        `${valueCell(r, 'close', (s) => s.value, 0)} | ${valueCell(r, 'close', (s) => s.p99Ms, 2)} | ` +
        `${valueCell(r, 'iperf', (s) => s.value, 2)} | ${dist} |`,
    );
  }
  return out;
}

/** Median CPU microseconds per request for ka / close: pct is % of one core. */
function perRequest(r: PeerResult, pick: (s: Sample) => number): string {
  return (['ka', 'close'] as const)
    .map((t) => num(median(r.samples[t].map((s) => ((pick(s) / 100) * 1e6) / s.value)), 1))
    .join(' / ');
}

export function cpuTable(results: readonly PeerResult[], cpus: number): string[] {
  const out = [
    `| peer | machine busy % ka / close / iperf (${cpus} cores = 100) | softirq % ka / close / iperf | LB processes in lvs1, % of 1 core | ` +
      'web processes, % of 1 core | client tool, % of 1 core | other tenants (lower bound), % of 1 core | machine CPU µs per request ka / close | LB processes µs per request ka / close |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    out.push(
      `| ${r.name} | ${triple(r, (s) => s.busyPct)} | ${triple(r, (s) => s.softirqPct)} | ${triple(r, (s) => s.lbPct)} (${triple(r, (s) => s.lbUserPct)}) | ` +
        `${triple(r, (s) => s.webPct)} | ${triple(r, (s) => s.clientPct)} | ${triple(r, (s) => s.otherPct)} | ${perRequest(r, (s) => s.busyPct * cpus)} | ${perRequest(r, (s) => s.lbPct)} |`,
    );
  }
  return out;
}

/**
 * Ratios vs nft: of the medians, with the spread of the per-round ratios (interleaved order), and
 * the median of the per-round ratios over clean rounds only (both runs on a quiet box).
 */
export function ratioTable(results: readonly PeerResult[], interleaved: boolean, idleMax: number): string[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const nft = byName.get('nft');
  if (nft === undefined) return ['(no nft peer in this run: no ratios)'];
  const out = [
    `| peer | ${TESTS.map((t) => `${TEST_LABEL[t]} / nft`).join(' | ')} |${interleaved ? ` ${TESTS.map((t) => `clean rounds: ${t}`).join(' | ')} |` : ''}`,
    `|---|${TESTS.map(() => '---').join('|')}|${interleaved ? `${TESTS.map(() => '---').join('|')}|` : ''}`,
  ];
  for (const r of results) {
    if (r === nft) continue;
    const cells = TESTS.map((t) => {
      const base = num(ratio(r, nft, t), 2);
      const p = interleaved ? spread(pairedRatios(r, nft, t)) : null;
      return p === null || p.n < 2 ? base : `${base} (rounds ${num(p.min, 2)}–${num(p.max, 2)})`;
    });
    if (interleaved) {
      for (const t of TESTS) {
        const c = pairedRatios(r, nft, t, idleMax);
        cells.push(c.length === 0 ? '-' : `${num(median(c), 2)} (n=${c.length})`);
      }
    }
    out.push(`| ${r.name} | ${cells.join(' | ')} |`);
  }
  return out;
}

export function targetTable(
  results: readonly PeerResult[],
  ratioFn: RatioFn = ratio,
  what = 'ratio of medians',
): string[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  const out: string[] = [];
  for (const r of results) {
    if (!r.name.startsWith('tsvs')) continue;
    out.push(`| ${r.name}: target | measured (${what}) | needed | verdict |`, '|---|---|---|---|');
    for (const c of targetChecks(r, byName, ratioFn)) {
      const need = c.what.includes('ahead') ? `> ${num(c.need, 2)}` : `>= ${num(c.need, 2)}`;
      out.push(`| ${c.what} | ${num(c.measured, 3)} | ${need} | ${c.verdict.toUpperCase()} |`);
    }
    out.push('');
  }
  return out;
}

/** Health counters summed over the reps, and the failure reasons. */
export function healthLines(results: readonly PeerResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const t of TESTS) {
      const sums = new Map<string, number>();
      for (const s of r.samples[t]) for (const [k, v] of Object.entries(s.health)) sums.set(k, (sums.get(k) ?? 0) + v);
      const idle = r.samples[t].map((s) => num(s.idleBeforePct, 0)).join(',');
      const other = r.samples[t].map((s) => num(s.otherPct, 0)).join(',');
      const h = [...sums].map(([k, v]) => `${k}=${v}`).join(' ');
      out.push(
        `- ${r.name} ${t}: ${h} | box busy % in the 1 s before each run: ${idle || '-'} | other tenants during each run (lower bound), % of 1 core: ${other || '-'}`,
      );
      for (const f of r.failures[t]) out.push(`  - round ${f.round} FAILED: ${f.reason}`);
    }
  }
  return out;
}

/** tsvs peers: what the engine did per run (medians): frames, batch size, CPU per frame. */
export function engineTable(results: readonly PeerResult[]): string[] {
  const rows = results.filter((r) => TESTS.some((t) => r.samples[t].some((s) => s.engine !== undefined)));
  if (rows.length === 0) return [];
  const out = [
    '| peer | test | frames received per run | mean frames per receive batch | received frames per request | tsvsd CPU ns per received frame (utime+stime) | of which utime |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    for (const t of TESTS) {
      const es = r.samples[t].map((s) => s.engine).filter((e) => e !== undefined);
      if (es.length === 0) continue;
      const m = (f: (e: (typeof es)[number]) => number, d: number): string => num(median(es.map(f)), d);
      out.push(
        `| ${r.name} | ${t} | ${m((e) => e.rxFrames, 0)} | ${m((e) => (e.batches > 0 ? e.rxFrames / e.batches : NaN), 1)} | ` +
          `${t === 'iperf' ? '-' : m((e) => e.framesPerRequest, 1)} | ${m((e) => e.nsPerFrame, 0)} | ${m((e) => e.userNsPerFrame, 0)} |`,
      );
    }
  }
  return out;
}

/** The whole report.md: the header, the tables, the ratios against nft, targets and health (cpus: the box's). */
export function reportMarkdown(
  all: readonly PeerResult[],
  head: readonly string[],
  o: Options,
  aborted: boolean,
  cpus: number,
): string {
  return [
    `### bench/compare${aborted ? ' (ABORTED: partial)' : ''}`,
    '',
    ...head,
    '',
    ...mainTable(all),
    '',
    ...cpuTable(all, cpus),
    '',
    'Ratios (median of the peer / median of nft' +
      (o.order === 'interleaved'
        ? `; in brackets the spread of the per-round ratios; "clean rounds": median of the per-round ratios where both runs had the box idle before (<= ${o.idleMax}%) and other tenants < 5% of a core during the run`
        : '') +
      '):',
    '',
    ...ratioTable(all, o.order === 'interleaved', o.idleMax),
    '',
    ...targetTable(all),
    ...engineTable(all),
    '',
    'Health (sums over the reps) and idle checks:',
    '',
    ...healthLines(all),
    '',
  ].join('\n');
}
