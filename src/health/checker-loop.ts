// checker-loop: when a checker runs next and when its result changes the checker's state, the
// retry rules of keepalived's epilogs. Two variants exist in keepalived and both are mirrored:
//   tcp_epilog  (check_tcp.c): a failure retries after delay_before_retry up to `retry` times,
//               whether the checker is up or down; after retry+1 straight failures: DOWN.
//   udp_epilog  (check_udp.c; icmp_epilog in check_ping.c, timeout_epilog in check_http.c and
//               check_misc.c behave the same way): retries only while the checker is up (or has
//               not run yet); a down checker is simply re-run every delay_loop.
// One success brings a checker UP (keepalived has no "rise" count); `retry` is the fall count - 1.

export interface LoopConfig {
  /** delay_loop: time between checks (keepalived default 60 s). */
  readonly delayLoopMs: number;
  /** retry (nb_get_retry): extra checks after a failure before declaring DOWN. Default 1, MISC 0. */
  readonly retry: number;
  /** delay_before_retry: default 1 s, 3 s for HTTP_GET. */
  readonly delayBeforeRetryMs: number;
  /** alpha: the checker starts DOWN and the server must pass it before being used. */
  readonly alpha: boolean;
  /** true for TCP_CHECK (tcp_epilog), false for the others (udp_epilog). */
  readonly retryWhileDown: boolean;
  /** warmup: the first check waits a random time up to this (default delay_loop). */
  readonly warmupMs: number;
}

export const DEFAULT_DELAY_LOOP_MS = 60000;
export const DEFAULT_DELAY_BEFORE_RETRY_MS = 1000;
export const DEFAULT_HTTP_DELAY_BEFORE_RETRY_MS = 3000;
export const DEFAULT_RETRY = 1;
export const DEFAULT_MISC_RETRY = 0;

/** checker_t's state fields. */
export class CheckerState {
  isUp: boolean;
  hasRun: boolean;
  retryIt: number;

  constructor(alpha: boolean) {
    this.isUp = !alpha;
    this.hasRun = false;
    this.retryIt = 0;
  }
}

/** What an epilog decided: the delay until the next check, and the state to report (if any). */
export interface EpilogOutcome {
  readonly delayMs: number;
  /** 'up' / 'down': call update_svr_checker_state; null: nothing to report. */
  readonly report: 'up' | 'down' | null;
}

/**
 * One result through the epilog. Mutates retryIt only; the caller reports, then sets hasRun
 * (update_svr_checker_state reads has_run before the epilog sets it).
 */
export function epilog(st: CheckerState, cfg: LoopConfig, ok: boolean): EpilogOutcome {
  let report: 'up' | 'down' | null = null;
  const settle = (): void => {
    st.retryIt = 0;
    if (ok && (!st.isUp || !st.hasRun)) report = 'up';
    else if (!ok && (st.isUp || !st.hasRun)) report = 'down';
  };
  if (cfg.retryWhileDown) {
    if (ok || st.retryIt >= cfg.retry) {
      settle();
      return { delayMs: cfg.delayLoopMs, report };
    }
    st.retryIt++;
    return { delayMs: cfg.delayBeforeRetryMs, report };
  }
  if (ok || ((st.isUp || !st.hasRun) && st.retryIt >= cfg.retry)) {
    settle();
    return { delayMs: cfg.delayLoopMs, report };
  }
  if (st.isUp) {
    st.retryIt++;
    return { delayMs: cfg.delayBeforeRetryMs, report };
  }
  return { delayMs: cfg.delayLoopMs, report };
}
