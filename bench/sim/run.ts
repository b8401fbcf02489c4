// One bench run: simulate each scheduler on a scenario, summarize, optionally measure the
// schedulers' cost with bench/sched.bench.ts, and write the report folder. No kernel counterpart.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from './scenario.ts';
import { simulate, type SimRun } from './simulate.ts';
import { slowestServer, summarize, type SchedResult } from './summary.ts';
import { measureCost, type CostRow } from './cost.ts';
import type { Report } from './report-data.ts';
import { renderHtml } from './report-html.ts';
import { renderMarkdown } from './report-markdown.ts';
import { renderCsv } from './report-csv.ts';

export interface RunOptions {
  readonly scenario: Scenario;
  /** Default: the scenario's list. */
  readonly schedulers?: readonly string[];
  readonly durationSec?: number;
  /** Run bench/sched.bench.ts for the scheduler cost (10-20 s per scheduler). */
  readonly cost: boolean;
  readonly command: string;
  readonly log?: (line: string) => void;
}

export async function runBench(o: RunOptions): Promise<Report> {
  const log = o.log ?? (() => {});
  const sc = o.scenario;
  const names = o.schedulers ?? sc.schedulers;
  const durationSec = o.durationSec ?? sc.durationSec;
  const runs: SimRun[] = [];
  for (const name of names) {
    const run = simulate(sc, name, { durationSec });
    runs.push(run);
    log(
      `${name}: ${run.rec.arrivals} requests, ${run.rec.completed} completed, simulated in ${(run.wallMs / 1000).toFixed(1)} s`,
    );
  }
  const slow = slowestServer(runs);
  const results: SchedResult[] = runs.map((r) => summarize(r, slow));
  let cost: CostRow[] | null = null;
  let costNote =
    'Not measured in this run (--no-cost). Run without --no-cost, or: node --import tsx bench/sched.bench.ts ' +
    names.join(' ');
  if (o.cost) {
    log(`measuring scheduler cost: node --import tsx bench/sched.bench.ts ${names.join(' ')}`);
    try {
      cost = await measureCost(names, (l) => log(`  ${l}`));
      costNote =
        `Measured by bench/sched.bench.ts (benny) on the same real scheduler code, at n = 2, 100 and 10,000 servers with weights 1..5: ` +
        '"pick" is schedule() alone; "+ open" adds the new connection\'s accounting (activeConns++, loadChanged); "+ open + close" also ends an older ' +
        `connection, keeping loads steady. Node ${process.version}; figures move with machine load.`;
    } catch (e) {
      costNote = `The cost bench failed: ${(e as Error).message}`;
      log(costNote);
    }
  }
  return { scenario: sc, durationSec, results, cost, costNote, command: o.command };
}

/** Write report.html, summary.md and the CSV files into outDir; returns the paths. */
export function writeReport(rep: Report, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: Record<string, string> = {
    'report.html': renderHtml(rep),
    'summary.md': renderMarkdown(rep),
    ...renderCsv(rep),
  };
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const p = join(outDir, name);
    writeFileSync(p, text);
    written.push(p);
  }
  return written;
}
