// Walking the connection table for the control plane: ipvsadm -Lc / -Lnc, --persistent-conn
// (ip_vs_conn_seq_show in ip_vs_conn.c prints the same fields). Control plane: may allocate.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { connStateName } from './proto-state.ts';
import { CONN_F_FWD_MASK, CONN_F_LIVE, CONN_F_TEMPLATE } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import type { ConnExpiry } from './expiry.ts';

/** One entry as the control plane sees it. forEachConn reuses one instance; listConns copies. */
export class ConnView {
  id = -1;
  /** IPPROTO_*; 0 for a fwmark template (ipvsadm prints "IP"). */
  protocol = 0;
  caddr = 0;
  cport = 0;
  /** Virtual address, or the fwmark of a fwmark template. */
  vaddr = 0;
  vport = 0;
  daddr = 0;
  dport = 0;
  laddr = 0;
  lport = 0;
  /** CONN_F_* bits. */
  flags = 0;
  /** Forwarding method (FWD_*). */
  fwd = 0;
  template = false;
  state = 0;
  /** As ipvsadm -Lc prints it: ESTABLISHED, SYN_RECV, UDP, NONE, ASSURED, ... */
  stateName = '';
  timeoutMs = 0;
  /** Time left on the timer (the -Lc "expire" column, mm:ss). */
  remainingMs = 0;
  /** Controlling template id, or -1. */
  control = -1;
  nControl = 0;
  dest: Dest | null = null;
  svc: Service | null = null;

  copy(): ConnView {
    return Object.assign(new ConnView(), this);
  }
}

/**
 * Visit every live entry (connections and templates) in id order. `visit` returning false stops
 * the walk. Returns the number visited. The view is reused between calls to visit.
 */
export function forEachConn(
  t: ConnTable,
  expiry: ConnExpiry,
  nowMs: number,
  visit: (v: ConnView) => boolean | void,
): number {
  const v = new ConnView();
  let n = 0;
  for (let id = 0; id < t.capacity; id++) {
    const f = t.flags[id]!;
    if ((f & CONN_F_LIVE) === 0) continue;
    v.id = id;
    v.protocol = t.protocol[id]!;
    v.caddr = t.caddr[id]!;
    v.cport = t.cport[id]!;
    v.vaddr = t.vaddr[id]!;
    v.vport = t.vport[id]!;
    v.daddr = t.daddr[id]!;
    v.dport = t.dport[id]!;
    v.laddr = t.laddr[id]!;
    v.lport = t.lport[id]!;
    v.flags = f;
    v.fwd = f & CONN_F_FWD_MASK;
    v.template = (f & CONN_F_TEMPLATE) !== 0;
    v.state = t.state[id]!;
    v.stateName = connStateName(t, id);
    v.timeoutMs = t.timeoutMs[id]!;
    v.remainingMs = expiry.remainingMs(id, nowMs);
    v.control = t.control[id]!;
    v.nControl = t.nControl[id]!;
    v.dest = t.dest[id] ?? null;
    v.svc = t.svc[id] ?? null;
    n++;
    if (visit(v) === false) break;
  }
  return n;
}

/** Snapshot of every live entry (or only templates / only connections). */
export function listConns(
  t: ConnTable,
  expiry: ConnExpiry,
  nowMs: number,
  which: 'all' | 'conns' | 'templates' = 'all',
): ConnView[] {
  const out: ConnView[] = [];
  forEachConn(t, expiry, nowMs, (v) => {
    if (which === 'all' || (which === 'templates') === v.template) out.push(v.copy());
  });
  return out;
}
