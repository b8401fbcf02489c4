// pool: pools several bench/compare runs (their results.json) into one report: every sample of
// every run, rounds kept apart per run, so the per-round ratios stay paired; the targets are
// judged both on the ratio of the pooled medians and on the median of the clean-round ratios.
//
//   node --import tsx bench/compare/pool.ts /tmp/tsvs-compare-A /tmp/tsvs-compare-B ...

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { cpuTable, engineTable, mainTable, ratioTable, targetTable } from './report.ts';
import { cleanRatio, poolRuns, type RunFile } from './results.ts';

function main(dirs: readonly string[]): void {
  if (dirs.length === 0) {
    process.stderr.write(
      'usage: node --import tsx bench/compare/pool.ts OUT_DIR [OUT_DIR ...]   (the --out dirs of run.ts)\n',
    );
    process.exit(2);
  }
  const runs = dirs.map((d) => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as RunFile);
  const idleMax = Math.max(...runs.map((r) => r.options.idleMax));
  const all = poolRuns(runs);
  const md = [
    `### bench/compare, ${runs.length} run${runs.length === 1 ? '' : 's'} pooled`,
    '',
    ...runs.map(
      (r, i) =>
        `- run ${i + 1}: ${r.header.find((h) => h.startsWith('- date')) ?? ''} ${r.header.find((h) => h.startsWith('- command')) ?? ''}`,
    ),
    '',
    ...mainTable(all),
    '',
    ...cpuTable(all, availableParallelism()),
    '',
    `Ratios vs nft (pooled medians; per-round spread; clean rounds = both runs idle before (<= ${idleMax}%) and other tenants < 5% of a core during):`,
    '',
    ...ratioTable(all, true, idleMax),
    '',
    ...targetTable(all),
    ...targetTable(all, cleanRatio(idleMax), 'median of clean-round ratios'),
    ...engineTable(all),
    '',
  ].join('\n');
  process.stdout.write(md);
}

main(process.argv.slice(2));
