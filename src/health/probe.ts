// probe: settle a checker's promise exactly once, with its cleanup, on result or abort
// (the single-shot epilog of every keepalived checker thread, check_api.c).

import { checkFail, type CheckResult } from './checker.ts';

export type Finish = (result: CheckResult) => void;

/**
 * Run `start(finish)`; the returned cleanup runs once, whichever comes first: a finish() call
 * or the abort signal (result: fail 'aborted'). Exceptions thrown by start become failures.
 */
export function runProbe(signal: AbortSignal, start: (finish: Finish) => () => void): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    let done = false;
    let cleanup: (() => void) | undefined;
    const finish: Finish = (result) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (cleanup !== undefined) cleanup();
      resolve(result);
    };
    const onAbort = (): void => finish(checkFail('aborted'));
    if (signal.aborted) {
      resolve(checkFail('aborted'));
      return;
    }
    signal.addEventListener('abort', onAbort);
    try {
      const c = start(finish);
      if (done) c();
      else cleanup = c;
    } catch (e) {
      finish(checkFail(e instanceof Error ? e.message : String(e)));
    }
  });
}

/** A node socket error as keepalived would log it: "connection refused", else the errno code. */
export function socketErrorReason(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    default:
      return code !== '' ? code : e instanceof Error ? e.message : String(e);
  }
}
