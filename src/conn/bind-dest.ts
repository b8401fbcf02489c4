// Binding a connection to its real server and back: ip_vs_bind_dest / ip_vs_unbind_dest
// (ip_vs_conn.c). These keep dest.activeConns / inactConns / persistConns and OVERLOAD exact.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { CONN_F_INACTIVE, CONN_F_TEMPLATE, destConnFlags } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';

/**
 * ip_vs_bind_dest: the entry inherits the dest's conn_flags (forwarding method, INACTIVE,
 * NOOUTPUT), then a connection counts as inactive (every new one does) and a template as
 * persistent. OVERLOAD is set once active + inactive reaches a non-zero upper threshold.
 */
export function bindDest(t: ConnTable, id: number, dest: Dest, svc: Service): void {
  const flags = t.flags[id]! | destConnFlags(dest);
  t.flags[id] = flags;
  setBound(t, id, dest, svc);
  countBound(t, id, dest, svc);
}

/**
 * The entry's dest and service, with their identities for restoreConns (conn-restore.ts), which
 * rebinds after a restart.
 */
export function setBound(t: ConnTable, id: number, dest: Dest, svc: Service): void {
  t.dest[id] = dest;
  t.svc[id] = svc;
  t.svcProtocol[id] = svc.protocol;
  t.svcAddr[id] = svc.addr;
  t.svcPort[id] = svc.port;
  t.svcFwmark[id] = svc.fwmark;
  t.destPort[id] = dest.port;
}

/** The counters and OVERLOAD of ip_vs_bind_dest for an entry whose flags are final. */
export function countBound(t: ConnTable, id: number, dest: Dest, svc: Service): void {
  const flags = t.flags[id]!;
  if ((flags & CONN_F_TEMPLATE) === 0) {
    if ((flags & CONN_F_INACTIVE) === 0) dest.activeConns++;
    else dest.inactConns++;
  } else {
    dest.persistConns++;
  }
  if (dest.uThreshold !== 0 && dest.activeConns + dest.inactConns >= dest.uThreshold) {
    dest.flags |= DEST_F_OVERLOAD;
  }
  svc.sched.loadChanged(svc, dest);
}

/**
 * ip_vs_unbind_dest: undo the counters, then clear OVERLOAD when the load has dropped: below
 * l_threshold when one is set, else below 3/4 of u_threshold (integer compare
 * total * 4 < u_threshold * 3), else (no thresholds) unconditionally.
 */
export function unbindDest(t: ConnTable, id: number): void {
  const dest = t.dest[id];
  if (dest === null || dest === undefined) return;
  const svc = t.svc[id]!;
  const flags = t.flags[id]!;
  if ((flags & CONN_F_TEMPLATE) === 0) {
    if (flags & CONN_F_INACTIVE) dest.inactConns--;
    else dest.activeConns--;
  } else {
    dest.persistConns--;
  }
  const total = dest.activeConns + dest.inactConns;
  if (dest.lThreshold !== 0) {
    if (total < dest.lThreshold) dest.flags &= ~DEST_F_OVERLOAD;
  } else if (dest.uThreshold !== 0) {
    if (total * 4 < dest.uThreshold * 3) dest.flags &= ~DEST_F_OVERLOAD;
  } else {
    dest.flags &= ~DEST_F_OVERLOAD;
  }
  t.dest[id] = null;
  svc.sched.loadChanged(svc, dest);
}
