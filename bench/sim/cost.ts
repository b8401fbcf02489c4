// The schedulers' own cost: runs bench/sched.bench.ts (benny, the same real scheduler code, at
// n = 2, 100 and 10,000 servers) in a child process and reads its summary table, rather than
// measuring picks a second way. No kernel counterpart.

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Terminal colour/cursor escapes in the child's progress lines (ESC [ ... letter). */
const ANSI_ESCAPE = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*[A-Za-z]', 'g');

export interface CostRow {
  readonly scheduler: string;
  readonly n: number;
  /** ns per schedule() call alone, with the new connection's accounting, and with a close too. */
  readonly nsPick: number;
  readonly nsOpen: number;
  readonly nsOpenClose: number;
  readonly picksPerSec: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHED_BENCH = resolve(HERE, '..', 'sched.bench.ts');
const REPO = resolve(HERE, '..', '..');

/** Rows "| rr | 100 | 12.3 | 20.1 | 25.0 | 81.3 |" of sched.bench.ts's final table. */
export function parseCostTable(stdout: string): CostRow[] {
  const rows: CostRow[] = [];
  const re = /^\| ([a-z0-9]+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$/;
  for (const line of stdout.split('\n')) {
    const m = re.exec(line.trim());
    if (m === null) continue;
    const nsPick = Number(m[3]);
    rows.push({
      scheduler: m[1]!,
      n: Number(m[2]),
      nsPick,
      nsOpen: Number(m[4]),
      nsOpenClose: Number(m[5]),
      picksPerSec: 1e9 / nsPick,
    });
  }
  return rows;
}

/**
 * node --import tsx bench/sched.bench.ts <names...>; about 10-20 s per scheduler. `progress`
 * gets each finished benny case line.
 */
export function measureCost(
  names: readonly string[],
  progress: (line: string) => void = () => {},
  timeoutMs = 20 * 60_000,
): Promise<CostRow[]> {
  return new Promise((resolveRows, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCHED_BENCH, ...names], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let partial = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (/ns\/pick \(/.test(l)) progress(l.replace(ANSI_ESCAPE, '').trim());
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(
          new Error(`sched.bench.ts exited with ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' / ')}`),
        );
        return;
      }
      resolveRows(parseCostTable(out));
    });
  });
}
