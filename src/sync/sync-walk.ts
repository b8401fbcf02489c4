// ip_vs_sync_conn's walk (ip_vs_sync.c): after an inbound packet, the connection if
// ip_vs_sync_conn_needed says so, then its controller ("synchronize its controller if it has"): a
// template with its own in_pkts counted up by this packet, any other controller with
// sync_threshold. One walk for both families: the IPv4 and the IPv6 tables are ConnTables of the
// same layout, and the writer of each family (sync-master.ts, sync-master6.ts) writes the entry.

import { CONN_F_LIVE, CONN_F_ONE_PACKET, CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import type { ConnTable } from '../conn/conn-table.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import { syncNeeded } from './sync-needed.ts';
import type { SyncSysctls } from './sync-proto.ts';

/** Writes the entry of connection or template `id` of its table into the current message. */
export interface SyncEntryWriter {
  writeConn(id: number, nowMs: number): void;
}

/**
 * ip_vs_sync_conn for entry `id` of t after an inbound packet (its in_pkts already counted). A
 * connection's first packet resets its sync fields (ip_vs_conn_new: old_state 0, sync_endtime
 * now), as does a template's first count. Allocates nothing.
 */
export function syncWalk(
  t: ConnTable,
  st: SyncConnState,
  sc: SyncSysctls,
  w: SyncEntryWriter,
  id: number,
  nowMs: number,
): void {
  // ONE_PACKET connections are never synced (and are freed already by ip_vs_conn_put).
  const flags = t.flags[id]!;
  if ((flags & CONN_F_LIVE) === 0 || flags & CONN_F_ONE_PACKET) return;
  let cur = id;
  let pkts = t.inPkts[id]!;
  if (pkts === 1) st.reset(id, nowMs, sc.refreshPeriodMs > 0);
  for (;;) {
    if (syncNeeded(t, st, sc, cur, pkts, nowMs)) w.writeConn(cur, nowMs);
    const ct = t.control[cur]!;
    if (ct < 0) return;
    if (t.flags[ct]! & CONN_F_TEMPLATE) {
      const n = t.inPkts[ct]!;
      pkts = n === 0xffffffff ? n : n + 1;
      t.inPkts[ct] = pkts;
      if (pkts === 1) st.reset(ct, nowMs, sc.refreshPeriodMs > 0);
    } else {
      pkts = sc.threshold;
    }
    cur = ct;
  }
}
