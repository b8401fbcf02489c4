// notify: run notify_up / notify_down / quorum_up / quorum_down scripts (keepalived notify_exec,
// lib/notify.c), as argv without a shell, each bounded by a timeout and a cap on how many run at once.

import { runCommand, type RunResult } from './command.ts';

export interface NotifyOptions {
  /** Kill a script still running after this long (keepalived does not wait; we bound it). */
  readonly timeoutMs?: number;
  /** Scripts running at once; further ones are dropped and counted. */
  readonly maxInFlight?: number;
}

export const DEFAULT_NOTIFY_TIMEOUT_MS = 10000;
export const DEFAULT_NOTIFY_MAX_IN_FLIGHT = 16;

export class NotifyRunner {
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly inFlight = new Set<Promise<RunResult>>();
  /** Scripts not started because maxInFlight were already running. */
  dropped = 0;

  constructor(opts: NotifyOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    this.maxInFlight = opts.maxInFlight ?? DEFAULT_NOTIFY_MAX_IN_FLIGHT;
  }

  /** Start argv; never throws. */
  run(argv: readonly string[]): void {
    if (this.inFlight.size >= this.maxInFlight) {
      this.dropped++;
      return;
    }
    const p = runCommand(argv, { timeoutMs: this.timeoutMs });
    this.inFlight.add(p);
    void p.then(() => this.inFlight.delete(p));
  }

  /** Wait until every started script has exited. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
