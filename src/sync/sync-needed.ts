// ip_vs_sync_conn_needed (ip_vs_sync.c): whether the master syncs a connection after this inbound
// packet, from its state, the state at its last sync (old_state) and its packet count against
// sync_threshold / sync_period, or sync_refresh_period's timer. Sets old_state (and sync_endtime)
// when the answer is yes, as the kernel does before it writes the entry.
//
// The tests run in an order that reads the fewest columns on the usual answer (no); the result is
// the kernel's whatever the order, since every test but the closing-state one only says no.

import { CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import type { ConnTable } from '../conn/conn-table.ts';
import {
  TCP_S_CLOSE,
  TCP_S_CLOSE_WAIT,
  TCP_S_ESTABLISHED,
  TCP_S_FIN_WAIT,
  TCP_S_TIME_WAIT,
} from '../conn/proto-tcp.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import type { SyncSysctls } from './sync-proto.ts';

/** TCP states a connection is synced in. */
const TCP_SYNC_STATES =
  (1 << TCP_S_ESTABLISHED) |
  (1 << TCP_S_FIN_WAIT) |
  (1 << TCP_S_CLOSE) |
  (1 << TCP_S_CLOSE_WAIT) |
  (1 << TCP_S_TIME_WAIT);

/** ip_vs_sync_conn_needed for entry `id` with `pkts` inbound packets (its template's own count). */
export function syncNeeded(
  t: ConnTable,
  st: SyncConnState,
  sc: SyncSysctls,
  id: number,
  pkts: number,
  nowMs: number,
): boolean {
  const flags = t.flags[id]!;
  const state = t.state[id]!;
  const template = (flags & CONN_F_TEMPLATE) !== 0;
  // Templates and UDP: force = 0, only the counters below decide.
  if (!template && sc.persistMode && t.control[id]! >= 0) return false;
  if (!template && t.protocol[id] === IPPROTO_TCP) {
    if (((1 << state) & TCP_SYNC_STATES) === 0) return false;
    // A change into a closing state syncs at once; into ESTABLISHED it waits for the counters.
    if (state !== TCP_S_ESTABLISHED && state !== st.oldState[id]) {
      setSynced(t, st, sc, id, state, nowMs, 0);
      return true;
    }
  }
  const refresh = sc.refreshPeriodMs;
  const period = sc.period;
  // The counters first (they need no column): pkts % period, without a division for the first
  // period packets of a connection (every one of a short connection's): sync_threshold is below
  // sync_period, or the kernel's proc_do_sync_threshold refuses it.
  if (period > 0) {
    const r = pkts < period ? pkts : pkts % period;
    if (!template && r !== sc.threshold) return false;
  } else if (refresh === 0 && pkts !== sc.threshold) return false;
  let retries = 0;
  if (refresh > 0) {
    const timeoutMs = t.timeoutMs[id]!;
    const orig = st.endMs[id]!;
    const diff = Math.abs(nowMs + timeoutMs - orig);
    const minDiff = Math.max(timeoutMs / 2, 10_000);
    // "Avoid sync if difference is below sync_refresh_period and below the half timeout."
    if (diff < Math.min(refresh, minDiff)) {
      const r = st.retries[id]!;
      if (r >= sc.retries) return false;
      if (nowMs < orig - timeoutMs + refresh / 8) return false;
      retries = r + 1;
    }
  }
  // The kernel's cmpxchg of sync_endtime always wins here: one thread owns the table.
  setSynced(t, st, sc, id, state, nowMs, retries);
  return true;
}

/**
 * old_state, and sync_endtime (now + the timeout) where sync_refresh_period reads it (untouched
 * otherwise: less memory traffic).
 */
function setSynced(
  t: ConnTable,
  st: SyncConnState,
  sc: SyncSysctls,
  id: number,
  state: number,
  nowMs: number,
  retries: number,
): void {
  st.oldState[id] = state;
  if (sc.refreshPeriodMs > 0) {
    st.endMs[id] = nowMs + t.timeoutMs[id]!;
    st.retries[id] = retries;
  }
}
