// Per-protocol dispatch of state transitions and state names (ip_vs_set_state in ip_vs_core.c,
// ip_vs_state_name in ip_vs_proto.c).

import type { ConnTable } from './conn-table.ts';
import { CONN_F_TEMPLATE, CTPL_STATE_NAMES } from './conn-flags.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { tcpStateName, tcpStateTransition } from './proto-tcp.ts';
import { udpStateName, udpStateTransition } from './proto-udp.ts';
import type { Timeouts } from './proto-timeouts.ts';

/**
 * ip_vs_set_state: run the protocol's state transition for one packet of connection `id`.
 * `tcpFlags` is the TCP flags byte (ignored for UDP). Re-arm afterwards with ConnExpiry.put.
 */
export function stateTransition(
  t: ConnTable,
  id: number,
  direction: number,
  tcpFlags: number,
  timeouts: Timeouts,
): void {
  const p = t.protocol[id];
  if (p === IPPROTO_TCP) tcpStateTransition(t, id, direction, tcpFlags, timeouts);
  else if (p === IPPROTO_UDP) udpStateTransition(t, id, direction, timeouts);
}

/** ip_vs_state_name: what ipvsadm -Lc prints in the state column. */
export function connStateName(t: ConnTable, id: number): string {
  const state = t.state[id]!;
  if (t.flags[id]! & CONN_F_TEMPLATE) return state < CTPL_STATE_NAMES.length ? CTPL_STATE_NAMES[state]! : 'ERR!';
  const p = t.protocol[id];
  if (p === IPPROTO_TCP) return tcpStateName(state);
  if (p === IPPROTO_UDP) return udpStateName(state);
  return p === 0 ? 'NONE' : 'ERR!';
}
