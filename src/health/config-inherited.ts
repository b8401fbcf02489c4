// config-inherited: the checker settings keepalived.conf lets a virtual_server and a real_server
// set as defaults for the checkers below them (keepalived.conf(5): delay_loop, connect_timeout,
// retry, delay_before_retry, warmup, alpha; check_parser.c's shared checker keywords).

import type { Stmt } from './config-lexer.ts';
import type { Ctx } from './config-values.ts';

/** Settings a checker inherits from its real_server and virtual_server. */
export interface Inherited {
  delayLoopMs?: number;
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  alpha?: boolean;
  virtualhost?: string;
}

/** The options every checker (and real_server / virtual_server) takes; true when st was one. */
export function readInherited(ctx: Ctx, st: Stmt, inh: Inherited): boolean {
  switch (st.key) {
    case 'delay_loop':
      inh.delayLoopMs = ctx.timerMs(st);
      return true;
    case 'connect_timeout':
      inh.connectTimeoutMs = ctx.timerMs(st);
      return true;
    case 'retry':
    case 'nb_get_retry': // the pre-2.0 name
      inh.retry = ctx.int(st, 0, 1000000);
      return true;
    case 'delay_before_retry':
      inh.delayBeforeRetryMs = ctx.timerMs(st);
      return true;
    case 'warmup':
      inh.warmupMs = ctx.timerMs(st);
      return true;
    case 'alpha':
      inh.alpha = ctx.bool(st);
      return true;
    default:
      return false;
  }
}
