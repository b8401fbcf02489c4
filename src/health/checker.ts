// Checker: the one-method health check contract (keepalived's checker_t launch/epilog pair,
// keepalived/check/check_api.c). A checker probes one real server and reports a result; it never
// touches scheduler or service state (the monitor and the policy decide what to do with results).

import { ipToString } from '../lib/inet.ts';
import { formatInet6, inet6Fold, type Inet6 } from '../lib/inet6.ts';

/**
 * Where to probe: the real server unless the checker overrides it. IPv4 as uint32 (host order);
 * an IPv6 server has its four words in addr6 (addr is then their fold).
 */
export interface CheckTarget {
  readonly addr: number;
  readonly addr6?: Inet6;
  readonly port: number;
}

/** The target's address as text for connect() / sendto(): dotted quad or IPv6. */
export function targetHost(t: { readonly addr: number; readonly addr6?: Inet6 }): string {
  return t.addr6 !== undefined ? formatInet6(t.addr6) : ipToString(t.addr);
}

/** "addr:port" for messages and HTTP Host headers, with IPv6 in brackets (RFC 3986). */
export function targetHostPort(t: CheckTarget): string {
  return t.addr6 !== undefined ? `[${formatInet6(t.addr6)}]:${t.port}` : `${ipToString(t.addr)}:${t.port}`;
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
  /** Override of the real server address (connect_ip), IPv4. */
  readonly connectIp?: number;
  /** connect_ip given as an IPv6 address. */
  readonly connectIp6?: Inet6;
  /** Override of the real server port (connect_port). */
  readonly connectPort?: number;
  /** Source address (bindto), IPv4. */
  readonly bindTo?: number;
  /** bindto given as an IPv6 address. */
  readonly bindTo6?: Inet6;
  /** Source port (bind_port). */
  readonly bindPort?: number;
  /** connect_timeout; keepalived's default is 5 s. */
  readonly connectTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Resolve the address and port to probe (co->dst defaults to the real server, check_api.c). */
export function checkDst(co: ConnOpts, target: CheckTarget): CheckTarget {
  const port = co.connectPort ?? target.port;
  if (co.connectIp6 !== undefined) return { addr: inet6Fold(co.connectIp6), addr6: co.connectIp6, port };
  if (co.connectIp !== undefined) return { addr: co.connectIp, port };
  return target.addr6 !== undefined ? { addr: target.addr, addr6: target.addr6, port } : { addr: target.addr, port };
}

/** bindto as text for a socket's local address, or undefined. */
export function bindHost(co: ConnOpts): string | undefined {
  if (co.bindTo6 !== undefined) return formatInet6(co.bindTo6);
  return co.bindTo !== undefined ? ipToString(co.bindTo) : undefined;
}
