// waitLine: waits for a child process to print a line matching a pattern (its readiness or its
// result), failing with what it printed if it exits first or the time runs out.

import type { ChildProcess } from 'node:child_process';

/** Collects a child's stdout; resolves when a line matching re appears (or rejects after ms). */
export function waitLine(c: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: stdout=${out} stderr=${err}`)), ms);
    c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    c.on('exit', (code) => {
      clearTimeout(timer);
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) resolve(m);
      else reject(new Error(`exited (${code}) before ${re}: stdout=${out} stderr=${err}`));
    });
  });
}
