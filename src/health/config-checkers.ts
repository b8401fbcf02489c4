// config-checkers: the checkers one checker block of a real_server stands for: one, one per
// SMTP_CHECK host block (check_smtp.c smtp_check_end_handler), or none for a BFD_CHECK, which
// follows a BFD daemon tsvs does not run (check_bfd.c).

import type { Stmt } from './config-lexer.ts';
import type { Ctx } from './config-values.ts';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './checker.ts';
import type { Inherited } from './config-inherited.ts';
import type { HostCo } from './config-host.ts';
import { readChecker, type CheckerSpec } from './config-checker.ts';

/**
 * The checkers of one checker block: one, or for an SMTP_CHECK with `host` blocks one per host
 * (check_smtp.c smtp_check_end_handler: the block's own connection stays a checker when it sets
 * any connection option or connect_timeout, else the first host takes its place; a host without
 * connect_timeout gets the real server's or virtual server's, not the block's).
 */
export function readCheckers(ctx: Ctx, st: Stmt, parent: Inherited, rsKey: string): CheckerSpec[] {
  if (st.key === 'BFD_CHECK') return skipBfdCheck(ctx, st, rsKey);
  const hosts: HostCo[] = [];
  const main = readChecker(ctx, st, parent, hosts);
  if (hosts.length === 0 || main.kind !== 'SMTP_CHECK') return [main];
  const o = main.opts;
  const ownConn =
    o.connectIp !== undefined ||
    o.connectIp6 !== undefined ||
    o.bindTo6 !== undefined ||
    o.connectPort !== undefined ||
    o.bindTo !== undefined ||
    o.bindPort !== undefined ||
    main.ownTimeout === true;
  const connTo = parent.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const forHost = (h: HostCo): CheckerSpec => ({
    kind: 'SMTP_CHECK',
    line: main.line,
    loop: main.loop,
    opts: { ...h, connectTimeoutMs: h.connectTimeoutMs ?? connTo, heloName: o.heloName },
  });
  return [...(ownConn ? [main] : []), ...hosts.map(forHost)];
}

/**
 * A BFD_CHECK follows a bfd_instance of keepalived's own BFD daemon; tsvs runs none, so every
 * name is one keepalived would not find, and the checker is dropped with keepalived's warnings
 * (check_bfd.c bfd_name_handler: "BFD %s not configured", the checker dequeued; bfd_end_handler:
 * no name, skipped). The real server keeps its other checkers, or none.
 */
function skipBfdCheck(ctx: Ctx, st: Stmt, rsKey: string): CheckerSpec[] {
  const names = (st.block ?? []).filter((s) => s.key === 'name');
  const first = names[0];
  if (first === undefined) {
    ctx.warn(st, `(${rsKey}) No name has been specified for BFD_CHECKER - skipping`);
  } else if (first.args.length !== 1) {
    ctx.warn(first, `(${rsKey}) BFD_CHECK - No or too many names specified - skipping checker`);
  } else {
    ctx.warn(
      first,
      `(${rsKey}) BFD_CHECK - BFD ${ctx.arg(first, 0, 'a bfd_instance name')} not configured - skipping checker (tsvs runs no BFD daemon)`,
    );
  }
  return [];
}
