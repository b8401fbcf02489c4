// config-host: a checker's connection keywords (connect_ip, connect_port, bindto, bind_port;
// keepalived check/check_api.c co_ip_handler and friends) and SMTP_CHECK's host block of them
// (check_smtp.c smtp_host_handler).

import type { Inet6 } from '../lib/inet6.ts';
import type { Stmt } from './config-lexer.ts';
import type { Ctx, Mutable } from './config-values.ts';
import type { ConnOpts } from './checker.ts';

/** The connection options a checker block or host block sets; connect_timeout only when given. */
export type HostCo = Mutable<Omit<ConnOpts, 'connectTimeoutMs'>> & { connectTimeoutMs?: number };

/** connect_ip / bindto: an IPv4 address in `key`, an IPv6 one in `key`6 (the other cleared). */
export function setAddr(
  co: { connectIp?: number; connectIp6?: Inet6; bindTo?: number; bindTo6?: Inet6 },
  key: 'connectIp' | 'bindTo',
  a: { addr: number; addr6?: Inet6 },
): void {
  const key6 = key === 'connectIp' ? 'connectIp6' : 'bindTo6';
  if (a.addr6 !== undefined) {
    co[key6] = a.addr6;
    delete co[key];
  } else {
    co[key] = a.addr;
    delete co[key6];
  }
}

/** SMTP_CHECK's deprecated `host { connect_ip ... }` block: the connection of one more checker. */
export function readHost(ctx: Ctx, st: Stmt): HostCo {
  const h: HostCo = {};
  for (const s of st.block ?? []) {
    ctx.noBlock(s);
    if (s.key === 'connect_ip') setAddr(h, 'connectIp', ctx.inet(s, 0));
    else if (s.key === 'connect_port') h.connectPort = ctx.port(s, 0);
    else if (s.key === 'bindto') setAddr(h, 'bindTo', ctx.inet(s, 0));
    else if (s.key === 'bind_port') h.bindPort = ctx.port(s, 0);
    else if (s.key === 'connect_timeout') h.connectTimeoutMs = ctx.timerMs(s);
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  return h;
}
