// config-values: typed readers for keepalived.conf arguments (<TIMER> seconds with fractions,
// <INTEGER>, <BOOL>, addresses, scripts), each failing with "source:line: ..." (keepalived
// lib/parser.c read_timer / read_unsigned / check_true_false).

import { configError, type Stmt } from './config-lexer.ts';
import { parseDottedQuad } from '../lib/inet.ts';
import { inet6Fold, parseInet6, type Inet6 } from '../lib/inet6.ts';
import { splitScript } from './command.ts';
import type { SslFiles } from './ssl-check.ts';

export class Ctx {
  readonly source: string;
  /** What keepalived would only warn about, "source:line: ...", for the daemon to log at load. */
  readonly warnings: string[];
  /** The top-level SSL block, for every SSL_GET. */
  ssl: SslFiles = {};

  constructor(source: string, warnings: string[] = []) {
    this.source = source;
    this.warnings = warnings;
  }

  fail(st: Stmt | number, msg: string): never {
    if (typeof st === 'number') throw configError(this.source, st, msg);
    throw configError(st.source ?? this.source, st.line, msg);
  }

  warn(st: Stmt, msg: string): void {
    this.warnings.push(`${st.source ?? this.source}:${st.line}: ${msg}`);
  }

  /** A keyword keepalived accepts whose effect tsvs does not have: accepted, with a warning. */
  ignored(st: Stmt, why = ''): void {
    this.warn(st, `keyword ${st.key} is accepted and ignored by tsvs${why !== '' ? ` (${why})` : ''}`);
  }

  arg(st: Stmt, i: number, what: string): string {
    const w = st.args[i];
    if (w === undefined) this.fail(st, `${st.key} needs ${what}`);
    return w.text;
  }

  noBlock(st: Stmt): void {
    if (st.block !== undefined) this.fail(st, `${st.key} does not take a block`);
  }

  /** <TIMER>: seconds, fractions allowed, to milliseconds. */
  timerMs(st: Stmt): number {
    const t = this.arg(st, 0, 'a time in seconds');
    if (!/^\d+(\.\d+)?$/.test(t)) this.fail(st, `${st.key}: invalid time '${t}' (seconds, e.g. 3 or 0.5)`);
    return Math.round(Number(t) * 1000);
  }

  int(st: Stmt, min: number, max: number, i = 0): number {
    const t = this.arg(st, i, 'a number');
    if (!/^-?\d+$/.test(t)) this.fail(st, `${st.key}: invalid number '${t}'`);
    const n = Number(t);
    if (n < min || n > max) this.fail(st, `${st.key}: ${t} is out of range ${min}..${max}`);
    return n;
  }

  /** A flag keyword alone is true; else one of on|off|true|false|yes|no. */
  bool(st: Stmt): boolean {
    const w = st.args[0];
    if (w === undefined) return true;
    const t = w.text.toLowerCase();
    if (t === 'on' || t === 'true' || t === 'yes') return true;
    if (t === 'off' || t === 'false' || t === 'no') return false;
    return this.fail(st, `${st.key}: invalid boolean '${w.text}' (on|off|true|false|yes|no)`);
  }

  ipv4(st: Stmt, i: number): number {
    const t = this.arg(st, i, 'an IPv4 address');
    const a = parseDottedQuad(t);
    if (a === null) this.fail(st, `${st.key}: invalid IPv4 address '${t}'`);
    return a;
  }

  /** An IPv4 or IPv6 address (keepalived's inet_stosockaddr): { addr } or { addr: fold, addr6 }. */
  inet(st: Stmt, i: number): { addr: number; addr6?: Inet6 } {
    const t = this.arg(st, i, 'an IP address');
    const w = parseInet6(t);
    if (w !== null) return { addr: inet6Fold(w), addr6: w };
    const a = parseDottedQuad(t);
    if (a === null) this.fail(st, `${st.key}: invalid ${t.includes(':') ? 'IPv6' : 'IPv4'} address '${t}'`);
    return { addr: a };
  }

  port(st: Stmt, i: number): number {
    return this.int(st, 1, 65535, i);
  }

  /** A script: one word or one quoted string, split into argv like keepalived (set_script_params_array). */
  script(st: Stmt): string[] {
    if (st.args.length === 0) this.fail(st, `${st.key} needs a script`);
    // keepalived: <STRING>|<QUOTED-STRING> [username [:][groupname]]; a quoted string holds the arguments.
    const user = st.args[1];
    if (user !== undefined)
      this.fail(
        st,
        `${st.key}: running a script as user '${user.text}' is not supported (quote the script and its arguments)`,
      );
    const argv = splitScript(st.args[0]?.text ?? '');
    if (argv.length === 0 || argv[0] === '') this.fail(st, `${st.key}: empty script`);
    return argv;
  }

  /** lvs_method / lb_kind / sorry_server_lvs_method: NAT, DR or TUN (check_parser.c lbkind_handler). */
  method(st: Stmt): 'NAT' | 'DR' | 'TUN' {
    const m = this.arg(st, 0, 'NAT, DR or TUN').toUpperCase();
    if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') this.fail(st, `${st.key}: '${m}' is not NAT, DR or TUN`);
    return m;
  }
}

/** A config record while its block is read: the same fields, writable. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
