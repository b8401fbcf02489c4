// Value parsers of ipvsadm.c, same results and same failure messages: string_to_number(),
// parse_timeout(), parse_fwmark(), parse_netmask(), parse_service(), parse_sched_flags(),
// parse_tun_type().

import { inetAton } from '../lib/inet.ts';
import { inet6Fold, parseInet6, type Inet6 } from '../lib/inet6.ts';
import { AF_INET, AF_INET6 } from '../model/dest.ts';
import { DEFAULT_PERSISTENT_TIMEOUT_SEC, DEFAULT_SCHED } from '../model/rule-spec.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { fail } from './argv-exit.ts';
import type { ServicesDb } from './services-db.ts';
import { TUN_TYPE_GRE, TUN_TYPE_GUE, TUN_TYPE_IPIP } from './argv-options.ts';

/**
 * Host names resolved before parsing (gethostbyname() is synchronous in C, not in Node). A
 * ReadonlyMap will do; resolve-hosts.ts passes one that also records the names it lacked.
 */
export interface HostTable {
  get(name: string): number | undefined;
}

/** strtol(s, &end, 10) accepting only when the whole string was a number in [min, max]; else -1. */
export function stringToNumber(s: string, min: number, max: number): number {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return -1;
  const n = Number(s.trim());
  if (!Number.isSafeInteger(n)) return -1;
  return min <= n && n <= max ? n : -1;
}

/** parse_timeout(): null (no value after -p) means IPVS_SVC_PERSISTENT_TIMEOUT. */
export function parseTimeout(buf: string | null, min: number, max: number): number {
  if (buf === null) return DEFAULT_PERSISTENT_TIMEOUT_SEC;
  const i = stringToNumber(buf, min, max);
  if (i === -1) fail(2, `invalid timeout value \`${buf}' specified`);
  return i;
}

/** parse_fwmark(): 1..UINT_MAX. */
export function parseFwmark(buf: string): number {
  const n = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(buf) ? Number(buf.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0 || n > 0xffffffff) fail(2, `invalid fwmark value \`${buf}' specified`);
  return n;
}

/** host_to_addr(): gethostbyname() for names, through the pre-resolved table. */
function hostToAddr(name: string, hosts: HostTable): number | null {
  const a = inetAton(name);
  if (a !== null) return a;
  return hosts.get(name) ?? null;
}

/** -M for an IPv6 service: atoi(optarg) in 1..128, else "illegal ipv6 netmask specified". */
export function parseNetmask6(buf: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(buf);
  const n = m === null ? 0 : Number(m[1]);
  if (!(n >= 1 && n <= 128)) fail(2, 'illegal ipv6 netmask specified');
  return n;
}

/** parse_netmask(): dotted (inet_aton) or a host name; null when neither. */
export function parseNetmask(buf: string, hosts: HostTable): number | null {
  return hostToAddr(buf, hosts);
}

export const SERVICE_NONE = 0;
export const SERVICE_ADDR = 1;
export const SERVICE_PORT = 2;

export interface ParsedService {
  /** SERVICE_ADDR | SERVICE_PORT bits, or SERVICE_NONE. */
  readonly result: number;
  /** AF_INET, or AF_INET6 when inet_pton(AF_INET6) took the address. */
  readonly af: number;
  /** IPv4 uint32; for AF_INET6 the fold of addr6 (src/lib/inet6.ts). */
  readonly addr: number;
  /** AF_INET6 only: the four words. */
  readonly addr6?: Inet6;
  readonly port: number;
}

function strIsDigit(s: string): boolean {
  return /^\d*$/.test(s);
}

/**
 * parse_service(): "[v6]:port", a bare v6 (no port: inet_pton(AF_INET6) is tried first on the
 * whole text, so 2001:db8::5:80 is one address), or host[:port] where host is an IPv4 address
 * (inet_aton forms) or a name; port a number or a service name of `protocol`. `port` is the
 * value kept when none is given. ipvsadm also sets svc->netmask to 128 for an IPv6 address;
 * the caller does that (ParsedService.af).
 */
export function parseService(
  buf: string,
  protocol: number,
  port: number,
  hosts: HostTable,
  services: ServicesDb,
): ParsedService {
  const none: ParsedService = { result: SERVICE_NONE, af: AF_INET, addr: 0, port };
  if (strIsDigit(buf)) return none;
  let host = buf;
  let portText: string | null = null;
  if (host[0] === '[') {
    const close = host.indexOf(']');
    if (close < 0) return none;
    if (host[close + 1] !== ':') return none;
    portText = host.slice(close + 2);
    host = host.slice(1, close);
  }
  const addr6 = parseInet6(host);
  let af = AF_INET;
  let addr: number | null;
  if (addr6 !== null) {
    af = AF_INET6;
    addr = inet6Fold(addr6);
  } else {
    // ipvsadm searches the port again inside the address part (strrchr), so for a non-IPv6
    // "[a.b.c.d]:port" the port after the bracket is dropped.
    portText = null;
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      portText = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    addr = hostToAddr(host, hosts);
    if (addr === null) return none;
  }
  const at = addr6 !== null ? { af, addr, addr6 } : { af, addr };
  if (portText === null) return { result: SERVICE_ADDR, ...at, port };
  let p = stringToNumber(portText, 0, 65535);
  if (p === -1) p = services.port(portText, protocol);
  if (p === -1) return none;
  return { result: SERVICE_ADDR | SERVICE_PORT, ...at, port: p };
}

/** parse_sched_flags(): comma-separated names; sh-* only with sh, mh-* only with mh. */
export function parseSchedFlags(schedName: string, arg: string): number {
  const sched = schedName !== '' ? schedName : DEFAULT_SCHED;
  let flags = 0;
  // strtok(arg, ","): empty tokens vanish; a string of only commas yields no token at all.
  const names = arg.split(',').filter((f) => f.length > 0);
  if (names.length === 0) fail(2, "invalid scheduler flag `'");
  for (const flag of names) {
    if (flag === 'flag-1') flags |= SVC_F_SCHED1;
    else if (flag === 'flag-2') flags |= SVC_F_SCHED2;
    else if (flag === 'flag-3') flags |= SVC_F_SCHED3;
    else if (flag === 'sh-fallback' || flag === 'sh-port' || flag === 'mh-fallback' || flag === 'mh-port') {
      flags |= flag.endsWith('-fallback') ? SVC_F_SCHED1 : SVC_F_SCHED2;
      if (sched !== flag.slice(0, 2)) fail(2, `incompatible scheduler flag \`${flag}'`);
    } else {
      fail(2, `invalid scheduler flag \`${flag}'`);
    }
  }
  return flags;
}

/** parse_tun_type(): ipip, gue, gre, else -1. */
export function parseTunType(name: string): number {
  if (name === 'ipip') return TUN_TYPE_IPIP;
  if (name === 'gue') return TUN_TYPE_GUE;
  if (name === 'gre') return TUN_TYPE_GRE;
  return -1;
}
