// npm run bench:sched: simulate IPVS schedulers on a scenario and write an HTML/markdown/CSV
// report. Run: node --import tsx bench/sim/cli.ts --scenario one-slow [--schedulers rr,lc] ...
// No kernel counterpart.

import { readdirSync } from 'node:fs';
import { join, resolve, basename } from 'node:path';
import { isTsvsError } from '../../src/lib/errors.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import { parseArgs, USAGE } from './args.ts';
import { SCENARIO_DIR, loadScenario } from './scenario.ts';
import { runBench, writeReport } from './run.ts';
import { summaryTableMd } from './report-markdown.ts';
import { ECMP_SCENARIOS, ecmpReport } from './ecmp.ts';

const REPO = resolve(SCENARIO_DIR, '..', '..');

function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.list) {
    for (const name of scenarioNames()) {
      const sc = loadScenario(name);
      process.stdout.write(`${name}\n  ${sc.title}\n  teaches: ${sc.teaches}\n\n`);
    }
    process.stdout.write(
      `${ECMP_SCENARIOS.join(', ')}\n  N directors behind ECMP, one fails or one joins: flows broken by routing\n` +
        '  (hash-threshold, resilient), scheduler (mh, sh, rr), adoption and mode (bench/sim/ecmp.ts)\n\n',
    );
    return 0;
  }
  const which = args.scenarios.includes('all') ? scenarioNames() : args.scenarios;
  for (const s of args.schedulers ?? []) {
    if (findScheduler(s) === undefined)
      throw new TsvsError('ENOENT', `Scheduler module ip_vs_${s} not found`, { exitCode: 2 });
  }
  for (const arg of which) {
    if ((ECMP_SCENARIOS as readonly string[]).includes(arg)) {
      // The ECMP scenarios in one report: 3 directors as in the lab, 2 and 10 real servers.
      const seed = args.seed ?? 1;
      process.stdout.write(`== ${arg} (npm run bench:sched -- --scenario ${arg} --seed ${seed})\n\n`);
      for (const servers of [2, 10]) process.stdout.write(`${ecmpReport(3, servers, 20_000, seed)}\n`);
      continue;
    }
    let sc = loadScenario(arg);
    if (args.seed !== null) sc = { ...sc, seed: args.seed };
    const out =
      args.out !== null
        ? which.length > 1
          ? join(args.out, `sched-${sc.name}`)
          : args.out
        : join(REPO, 'bench', 'out', `sched-${sc.name}`);
    const command = [
      'npm run bench:sched --',
      '--scenario',
      sc.name,
      ...(args.schedulers !== null ? ['--schedulers', args.schedulers.join(',')] : []),
      '--seed',
      String(sc.seed),
      ...(args.durationSec !== null ? ['--duration', String(args.durationSec)] : []),
      ...(args.cost ? [] : ['--no-cost']),
    ].join(' ');
    process.stdout.write(`== ${sc.name}: ${sc.title}\n`);
    const rep = await runBench({
      scenario: sc,
      ...(args.schedulers !== null ? { schedulers: args.schedulers } : {}),
      ...(args.durationSec !== null ? { durationSec: args.durationSec } : {}),
      cost: args.cost,
      command,
      log: (l) => process.stdout.write(`   ${l}\n`),
    });
    writeReport(rep, out);
    process.stdout.write(`\n${summaryTableMd(rep.results)}\n\nreport: ${join(out, 'report.html')}\n\n`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isTsvsError(e)) {
      process.stderr.write(`bench:sched: ${e.message}\n`);
      if (e.exitCode === 2) process.stderr.write(USAGE);
      process.exitCode = e.exitCode;
      return;
    }
    throw e;
  },
);
