// IPVS UDP "state machine" (ip_vs_proto_udp.c): one state, NORMAL, named "UDP"; every packet
// re-arms the connection with udp_timeouts[NORMAL] (300 s by default). A UDP connection never
// leaves the inactive counter: ip_vs_bind_dest counts it inactive and nothing moves it.

import type { ConnTable } from './conn-table.ts';
import { DIR_OUTPUT } from './direction.ts';
import { controlAssure } from './proto-tcp.ts';

export const UDP_S_NORMAL = 0;
export const UDP_S_LAST = 1;
export const UDP_DEFAULT_TIMEOUT_SEC = 5 * 60;

export function udpStateName(state: number): string {
  return state === UDP_S_NORMAL ? 'UDP' : 'ERR!';
}

/**
 * udp_state_transition: the timeout becomes the current UDP timeout; a reply (DIR_OUTPUT) marks
 * the controlling template ASSURED (ip_vs_control_assure_ct).
 */
export function udpStateTransition(
  t: ConnTable,
  id: number,
  direction: number,
  timeouts: { readonly udpMs: number },
): void {
  t.timeoutMs[id] = timeouts.udpMs;
  if (direction === DIR_OUTPUT) controlAssure(t, id);
}
