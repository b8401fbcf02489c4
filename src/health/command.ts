// command: run a script as argv (no shell) with a timeout, killing its process group on expiry:
// SIGTERM, then SIGKILL after a grace period (keepalived/check/check_misc.c
// misc_check_child_thread: kill(-pid, SIGTERM), 2 s later kill(-pid, SIGKILL)).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunOpts {
  readonly timeoutMs: number;
  /** Time between SIGTERM and SIGKILL; keepalived waits 2 s. */
  readonly killGraceMs?: number;
  readonly signal?: AbortSignal;
}

export interface RunResult {
  /** 0 when the process could not be started. */
  readonly pid: number;
  /** Exit status, or null when ended by a signal or not started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** We ended it: timeout (or abort). */
  readonly timedOut: boolean;
  /** Spawn failure (ENOENT, EACCES...), else ''. */
  readonly error: string;
}

export const DEFAULT_KILL_GRACE_MS = 2000;

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group of our detached child, so its own children die too.
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Whether /proc/self/status shows ambient capabilities (systemd's AmbientCapabilities=). */
export function hasAmbientCaps(status: string): boolean {
  const m = /^CapAmb:\s*([0-9a-f]+)$/m.exec(status);
  return m !== null && /[1-9a-f]/.test(m[1]!);
}

let ambient: boolean | null = null;

/**
 * The argv to exec: under ambient capabilities (tsvsd.service gives CAP_NET_RAW and CAP_NET_ADMIN
 * that way) every exec'd program would get them too (capabilities(7): P'(ambient) = P(ambient)
 * for a file without capabilities), so scripts start through setpriv, which empties the
 * inheritable and ambient sets first. keepalived likewise runs scripts with less than itself
 * (script_user).
 */
export function scriptArgv(argv: readonly string[], ambientCaps: boolean): readonly string[] {
  return ambientCaps ? ['setpriv', '--inh-caps=-all', '--ambient-caps=-all', '--', ...argv] : argv;
}

function readAmbient(): boolean {
  if (ambient === null) {
    try {
      ambient = hasAmbientCaps(readFileSync('/proc/self/status', 'utf8'));
    } catch {
      ambient = false; // not Linux: no ambient capabilities
    }
  }
  return ambient;
}

/** Run argv[0] with argv[1..] in its own process group; resolves when it has exited (never rejects). */
export function runCommand(argv: readonly string[], opts: RunOpts): Promise<RunResult> {
  return new Promise<RunResult>((resolve) => {
    if (argv[0] === undefined || argv[0] === '') {
      resolve({ pid: 0, code: null, signal: null, timedOut: false, error: 'empty command' });
      return;
    }
    const [file, ...args] = scriptArgv(argv, readAmbient()) as [string, ...string[]];
    const child = spawn(file, args, { detached: true, stdio: 'ignore' });
    const pid = child.pid ?? 0;
    let timedOut = false;
    // Set once the child has a pid; done() may run before that (spawn 'error').
    let termTimer: ReturnType<typeof setTimeout> | undefined = undefined;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = (): void => {
      if (timedOut || pid === 0) return;
      timedOut = true;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    const onAbort = (): void => stop();
    const done = (r: RunResult): void => {
      if (termTimer !== undefined) clearTimeout(termTimer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // As keepalived does after a SIGTERM'd script: make sure nothing of its group survives.
      if (timedOut && pid !== 0) killGroup(pid, 'SIGKILL');
      resolve(r);
    };
    child.once('error', (e) => done({ pid, code: null, signal: null, timedOut, error: e.message }));
    child.once('exit', (code, signal) => done({ pid, code, signal, timedOut, error: '' }));
    if (pid === 0) return; // 'error' follows
    termTimer = setTimeout(stop, opts.timeoutMs);
    if (opts.signal !== undefined) {
      if (opts.signal.aborted) stop();
      else opts.signal.addEventListener('abort', onAbort);
    }
  });
}

/**
 * Split a script line into argv the way keepalived's set_script_params_array does: unquoted
 * whitespace separates arguments; single or double quotes keep spaces; a backslash escapes.
 */
export function splitScript(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i] ?? '';
      have = true;
    } else if (quote !== '') {
      if (c === quote) quote = '';
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      have = true;
    } else if (c === ' ' || c === '\t') {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}
