// Checker: the one-method health check contract (keepalived's checker_t launch/epilog pair,
// keepalived/check/check_api.c). A checker probes one real server and reports a result; it never
// touches scheduler or service state (the monitor and the policy decide what to do with results).

/** Where to probe: the real server (IPv4 as uint32, host order) unless the checker overrides it. */
export interface CheckTarget {
  readonly addr: number;
  readonly port: number;
}

export interface CheckResult {
  readonly ok: boolean;
  /** Why the check failed (keepalived's log words where it has some); '' on success. */
  readonly reason: string;
  /** MISC_CHECK with misc_dynamic: the new weight (exit status - 2, check_misc.c). */
  readonly weight?: number;
}

export interface Checker {
  /** keepalived's keyword: TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK, PING_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK. */
  readonly kind: string;
  /**
   * Probe once. Never rejects: every failure (refused, timeout, bad status, abort) resolves to
   * `{ ok: false, reason }`. Aborting the signal ends the probe promptly.
   */
  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult>;
}

export const CHECK_OK: CheckResult = Object.freeze({ ok: true, reason: '' });

export function checkFail(reason: string): CheckResult {
  return { ok: false, reason };
}

/**
 * Connection options shared by the socket checkers (conn_opts_t in check_api.h: connect_ip,
 * connect_port, bindto, bind_port, connect_timeout).
 */
export interface ConnOpts {
  /** Override of the real server address (connect_ip). */
  readonly connectIp?: number;
  /** Override of the real server port (connect_port). */
  readonly connectPort?: number;
  /** Source address (bindto). */
  readonly bindTo?: number;
  /** Source port (bind_port). */
  readonly bindPort?: number;
  /** connect_timeout; keepalived's default is 5 s. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Resolve the address and port to probe (co->dst defaults to the real server, check_api.c). */
export function checkDst(co: ConnOpts, target: CheckTarget): CheckTarget {
  return { addr: co.connectIp ?? target.addr, port: co.connectPort ?? target.port };
}
