// MISC_CHECK: run a program; exit 0 = up, with misc_dynamic an exit status 2..255 is also up and
// sets the weight to status - 2; anything else (or a timeout, or a signal) is down
// (keepalived/check/check_misc.c misc_check_child_thread: "The actual weight set when using
// misc_dynamic is two less than the exit status returned. Effective range is 0..253.").

import { CHECK_OK, checkFail, type Checker, type CheckResult, type CheckTarget } from './checker.ts';
import { runCommand, type RunResult } from './command.ts';

export interface MiscCheckOpts {
  /** misc_path split into argv (run directly, no shell). */
  readonly argv: readonly string[];
  /** misc_timeout; keepalived defaults it to delay_loop. */
  readonly timeoutMs: number;
  /** misc_dynamic. */
  readonly dynamic: boolean;
  /** SIGTERM -> SIGKILL grace after a timeout (keepalived: 2 s). */
  readonly killGraceMs?: number;
}

/** The verdict for one finished run, exactly as misc_check_child_thread decides it. */
export function miscVerdict(r: RunResult, dynamic: boolean): CheckResult {
  if (r.error !== '') return checkFail(`cannot run: ${r.error}`);
  if (r.timedOut) return checkFail('timed out');
  if (r.code === null) return checkFail(`failed (due to signal ${r.signal ?? '?'})`);
  if (r.code === 0) return CHECK_OK;
  if (dynamic && r.code >= 2 && r.code <= 255) return { ok: true, reason: '', weight: r.code - 2 };
  return checkFail(`failed (exited with status ${r.code})`);
}

export class MiscCheck implements Checker {
  readonly kind = 'MISC_CHECK';
  readonly opts: MiscCheckOpts;
  /** PID of the last run (tests use it to prove a timed-out script is gone). */
  lastPid = 0;

  constructor(opts: MiscCheckOpts) {
    this.opts = opts;
  }

  async check(_target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const o = this.opts;
    const runOpts =
      o.killGraceMs === undefined
        ? { timeoutMs: o.timeoutMs, signal }
        : { timeoutMs: o.timeoutMs, killGraceMs: o.killGraceMs, signal };
    const r = await runCommand(o.argv, runOpts);
    this.lastPid = r.pid;
    if (signal.aborted) return checkFail('aborted');
    return miscVerdict(r, o.dynamic);
  }
}
