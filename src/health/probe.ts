// probe: settle a checker's promise exactly once, with its cleanup, on result or abort
// (the single-shot epilog of every keepalived checker thread, check_api.c).

import type net from 'node:net';
import { checkFail, type CheckResult, type CheckTarget, type ConnOpts, targetHost, bindHost } from './checker.ts';

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

/** Node connect options for a TCP checker: dst, with bindto / bind_port as the source (layer4.c tcp_bind_connect). */
export function tcpConnectOptions(co: ConnOpts, dst: CheckTarget): net.TcpNetConnectOpts {
  const opts: net.TcpNetConnectOpts = { host: targetHost(dst), port: dst.port };
  const local = bindHost(co);
  if (local !== undefined) opts.localAddress = local;
  if (co.bindPort !== undefined) opts.localPort = co.bindPort;
  return opts;
}
