// config-checker: one checker block of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK,
// PING_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK) to a checker spec: its own keywords, what it
// inherits from its real_server and virtual_server, then the per-kind defaults (check_api.c,
// check_http.c, check_misc.c, check_smtp.c, check_dns.c).

import type { Stmt } from './config-lexer.ts';
import type { Ctx, Mutable } from './config-values.ts';
import type { ConnOpts } from './checker.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './checker.ts';
import {
  DEFAULT_DELAY_BEFORE_RETRY_MS,
  DEFAULT_DELAY_LOOP_MS,
  DEFAULT_HTTP_DELAY_BEFORE_RETRY_MS,
  DEFAULT_MISC_RETRY,
  DEFAULT_RETRY,
  type LoopConfig,
} from './checker-loop.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, type HttpCheckOpts, type HttpProtocol, type HttpUrl } from './http-check.ts';
import type { UdpCheckOpts } from './udp-check.ts';
import type { MiscCheckOpts } from './misc-check.ts';
import type { SslCheckOpts } from './ssl-check.ts';
import { SMTP_DEFAULT_HELO, type SmtpCheckOpts } from './smtp-check.ts';
import { DNS_TYPES, type DnsCheckOpts } from './dns-check.ts';
import { readHexStr } from './hex-str.ts';
import { readInherited, type Inherited } from './config-inherited.ts';
import { readUrl } from './config-url.ts';
import { readHost, setAddr, type HostCo } from './config-host.ts';

export type CheckerSpec =
  | { readonly kind: 'TCP_CHECK'; readonly line: number; readonly loop: LoopConfig; readonly opts: ConnOpts }
  | { readonly kind: 'PING_CHECK'; readonly line: number; readonly loop: LoopConfig; readonly opts: ConnOpts }
  | { readonly kind: 'HTTP_GET'; readonly line: number; readonly loop: LoopConfig; readonly opts: HttpCheckOpts }
  | { readonly kind: 'UDP_CHECK'; readonly line: number; readonly loop: LoopConfig; readonly opts: UdpCheckOpts }
  | { readonly kind: 'MISC_CHECK'; readonly line: number; readonly loop: LoopConfig; readonly opts: MiscCheckOpts }
  | { readonly kind: 'SSL_GET'; readonly line: number; readonly loop: LoopConfig; readonly opts: SslCheckOpts }
  | {
      readonly kind: 'SMTP_CHECK';
      readonly line: number;
      readonly loop: LoopConfig;
      readonly opts: SmtpCheckOpts;
      /** connect_timeout was set in the block itself (decides what its host blocks do). */
      readonly ownTimeout?: boolean;
    }
  | { readonly kind: 'DNS_CHECK'; readonly line: number; readonly loop: LoopConfig; readonly opts: DnsCheckOpts };

export const CHECKER_KINDS = [
  'TCP_CHECK',
  'HTTP_GET',
  'SSL_GET',
  'UDP_CHECK',
  'PING_CHECK',
  'MISC_CHECK',
  'SMTP_CHECK',
  'DNS_CHECK',
];
export const UNSUPPORTED_CHECKERS = ['FILE_CHECK'];
/** check_dns.c DNS_DEFAULT_RETRY. */
const DNS_DEFAULT_RETRY = 3;

/** One checker block; `inh` holds what the real_server and virtual_server set. */
export function readChecker(ctx: Ctx, st: Stmt, parent: Inherited, hosts: HostCo[]): CheckerSpec {
  if (UNSUPPORTED_CHECKERS.includes(st.key))
    ctx.fail(st, `${st.key} is not supported by tsvs (supported: ${CHECKER_KINDS.join(' ')})`);
  if (st.block === undefined) ctx.fail(st, `${st.key} needs a block: ${st.key} { ... }`);
  const kind = st.key;
  const own: Inherited = {};
  const co: Mutable<Omit<ConnOpts, 'connectTimeoutMs'>> = {};
  const http = {
    urls: [] as HttpUrl[],
    httpProtocol: '1.0' as HttpProtocol,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  };
  const udp: Mutable<Omit<UdpCheckOpts, keyof ConnOpts>> = {
    requireReply: false,
    minReplyLength: 0,
    maxReplyLength: 255,
  };
  const misc = { argv: [] as string[], timeoutMs: 0, dynamic: false };
  const isHttp = kind === 'HTTP_GET' || kind === 'SSL_GET';
  const sni: { enable: boolean; name?: string } = { enable: false };
  let heloName = SMTP_DEFAULT_HELO;
  const dns = { name: '', type: DNS_TYPES.SOA ?? 6 };
  for (const s of st.block) {
    if (isHttp && s.key === 'url') {
      http.urls.push(readUrl(ctx, s));
      continue;
    }
    if (kind === 'SMTP_CHECK' && s.key === 'host') {
      hosts.push(readHost(ctx, s));
      continue;
    }
    if (s.block !== undefined) {
      ctx.warn(s, `Unknown keyword '${s.key}'`); // lib/parser.c skips an unknown block
      continue;
    }
    if (readInherited(ctx, s, own)) continue;
    if (s.key === 'log_all_failures') {
      ctx.ignored(s, 'tsvsd logs state changes, not every failed probe');
      continue;
    }
    if (kind !== 'MISC_CHECK') {
      if (s.key === 'connect_ip') setAddr(co, 'connectIp', ctx.inet(s, 0));
      else if (s.key === 'connect_port') co.connectPort = ctx.port(s, 0);
      else if (s.key === 'bindto') setAddr(co, 'bindTo', ctx.inet(s, 0));
      else if (s.key === 'bind_port') co.bindPort = ctx.port(s, 0);
      else if (isHttp && s.key === 'http_protocol') {
        const v = ctx.arg(s, 0, '1.0, 1.0C or 1.1');
        if (v !== '1.0' && v !== '1.0C' && v !== '1.0c' && v !== '1.1')
          ctx.fail(s, `http_protocol: '${v}' is not 1.0, 1.0C or 1.1`);
        http.httpProtocol = v === '1.0c' ? '1.0C' : v;
      } else if (isHttp && s.key === 'virtualhost') own.virtualhost = ctx.arg(s, 0, 'a host name');
      else if (isHttp && s.key === 'fast_recovery')
        continue; // every url is checked in one run anyway
      else if (isHttp && s.key === 'max_response_bytes') http.maxResponseBytes = ctx.int(s, 1, 1 << 30);
      else if (kind === 'SSL_GET' && s.key === 'enable_sni') sni.enable = ctx.bool(s);
      else if (kind === 'SSL_GET' && s.key === 'sni_name') {
        // sni_name_handler also sets enable_sni.
        sni.name = ctx.arg(s, 0, 'a host name');
        sni.enable = true;
      } else if (kind === 'SSL_GET' && s.key === 'tls_compliant')
        ctx.ignored(s, 'node closes TLS with close_notify always');
      else if (kind === 'SMTP_CHECK' && s.key === 'helo_name') heloName = ctx.arg(s, 0, 'a name');
      else if (kind === 'SMTP_CHECK' && s.key === 'host')
        ctx.fail(
          s,
          'SMTP_CHECK host blocks are not supported by tsvs (keepalived deprecates them: use one SMTP_CHECK per host)',
        );
      else if (kind === 'DNS_CHECK' && s.key === 'type') {
        const ty = DNS_TYPES[ctx.arg(s, 0, 'a query type').toUpperCase()];
        // dns_type_handler: "Unknown DNS check type %s - ignoring".
        if (ty === undefined) ctx.warn(s, `Unknown DNS check type ${s.args[0]?.text ?? ''} - ignoring`);
        else dns.type = ty;
      } else if (kind === 'DNS_CHECK' && s.key === 'name') {
        const name = ctx.arg(s, 0, 'a domain name');
        // dns_name_handler: a name with an empty label is ignored with a warning.
        if ((name.startsWith('.') && name !== '.') || name.includes('..'))
          ctx.warn(s, `DNS_CHECK name '${name}' has empty label - ignoring`);
        else dns.name = name;
      } else if (kind === 'UDP_CHECK' && s.key === 'payload') {
        const hex = readHexStr(s.args.map((w) => w.text).join(' '), false);
        if (hex === undefined) ctx.fail(s, 'payload: invalid hex string');
        udp.payload = hex.data;
      } else if (kind === 'UDP_CHECK' && s.key === 'require_reply') {
        udp.requireReply = true;
        if (s.args.length > 0) {
          const hex = readHexStr(s.args.map((w) => w.text).join(' '), true);
          if (hex === undefined) ctx.fail(s, 'require_reply: invalid hex string');
          udp.reply = hex;
        }
      } else if (kind === 'UDP_CHECK' && s.key === 'min_reply_length') udp.minReplyLength = ctx.int(s, 0, 65535);
      else if (kind === 'UDP_CHECK' && s.key === 'max_reply_length') udp.maxReplyLength = ctx.int(s, 0, 65535);
      else ctx.warn(s, `Unknown keyword '${s.key}'`);
    } else if (s.key === 'misc_path') misc.argv = ctx.script(s);
    else if (s.key === 'misc_timeout') misc.timeoutMs = ctx.int(s, 1, 1000000) * 1000;
    else if (s.key === 'misc_dynamic') misc.dynamic = ctx.bool(s);
    else if (s.key === 'user') ctx.fail(s, 'MISC_CHECK user is not supported by tsvs (scripts run as the daemon user)');
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  const delayLoopMs = own.delayLoopMs ?? parent.delayLoopMs ?? DEFAULT_DELAY_LOOP_MS;
  const loop: LoopConfig = {
    delayLoopMs,
    retry:
      own.retry ??
      parent.retry ??
      (kind === 'MISC_CHECK' ? DEFAULT_MISC_RETRY : kind === 'DNS_CHECK' ? DNS_DEFAULT_RETRY : DEFAULT_RETRY),
    // dns_check_handler: default_delay_before_retry 0, "this will default to delay_loop".
    delayBeforeRetryMs:
      own.delayBeforeRetryMs ??
      parent.delayBeforeRetryMs ??
      (isHttp
        ? DEFAULT_HTTP_DELAY_BEFORE_RETRY_MS
        : kind === 'DNS_CHECK'
          ? delayLoopMs
          : DEFAULT_DELAY_BEFORE_RETRY_MS),
    alpha: own.alpha ?? parent.alpha ?? false,
    retryWhileDown: kind === 'TCP_CHECK',
    warmupMs: own.warmupMs ?? parent.warmupMs ?? delayLoopMs,
  };
  const conn: ConnOpts = {
    ...co,
    connectTimeoutMs: own.connectTimeoutMs ?? parent.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  const line = st.line;
  switch (kind) {
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return { kind, line, loop, opts: conn };
    case 'HTTP_GET': {
      if (http.urls.length === 0) ctx.fail(st, 'HTTP_GET needs at least one url { path ... }');
      const vhost = own.virtualhost ?? parent.virtualhost;
      return { kind, line, loop, opts: { ...conn, ...http, ...(vhost !== undefined ? { virtualhost: vhost } : {}) } };
    }
    case 'SSL_GET': {
      if (http.urls.length === 0) ctx.fail(st, 'SSL_GET needs at least one url { path ... }');
      const vhost = own.virtualhost ?? parent.virtualhost;
      const opts: SslCheckOpts = {
        ...conn,
        ...http,
        ...(vhost !== undefined ? { virtualhost: vhost } : {}),
        ssl: ctx.ssl,
        enableSni: sni.enable,
        ...(sni.name !== undefined ? { sniName: sni.name } : {}),
      };
      return { kind, line, loop, opts };
    }
    case 'SMTP_CHECK':
      return { kind, line, loop, opts: { ...conn, heloName }, ownTimeout: own.connectTimeoutMs !== undefined };
    case 'DNS_CHECK':
      return { kind, line, loop, opts: { ...conn, ...dns } };
    case 'UDP_CHECK':
      return { kind, line, loop, opts: { ...conn, ...udp } };
    case 'MISC_CHECK':
      if (misc.argv.length === 0) ctx.fail(st, 'MISC_CHECK needs misc_path');
      // misc_timeout defaults to delay_loop (misc_check_thread).
      return {
        kind,
        line,
        loop,
        opts: { argv: misc.argv, timeoutMs: misc.timeoutMs > 0 ? misc.timeoutMs : delayLoopMs, dynamic: misc.dynamic },
      };
    default:
      return ctx.fail(st, `unknown checker '${kind}' (supported: ${CHECKER_KINDS.join(' ')})`);
  }
}
