// What ip_vs_in (ip_vs_core.c) does with a client packet that matched an existing connection,
// before using it: port reuse (conn_reuse_mode, is_new_conn / is_new_conn_expected) and dead real
// servers (expire_nodest_conn, the "Check the server status" block). tsvs has no conntrack, so
// ip_vs_conn_uses_old_conntrack() is always false here.

import { DEST_F_AVAILABLE } from '../model/dest.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { TCP_S_CLOSE, TCP_S_FIN_WAIT, TCP_S_TIME_WAIT, TCP_SYN } from './proto-tcp.ts';
import { CONN_F_NOOUTPUT } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import type { ConnExpiry } from './expiry.ts';

/** Use the connection that was found. */
export const REUSE_KEEP = 0;
/** Treat the packet as new: schedule it (the old connection has been made to expire). */
export const REUSE_RESCHEDULE = 1;
/** Drop the packet (DROP_DEST_QUIESCED): its real server is gone and expire_nodest_conn is 0. */
export const REUSE_DROP = 2;

export interface ReuseSysctls {
  /**
   * net.ipv4.vs.conn_reuse_mode, default 1 (bit 1: reschedule a reused port when safe; bit 2:
   * also FIN_WAIT of DR/TUN).
   */
  connReuseMode: number;
  /** net.ipv4.vs.expire_nodest_conn, default 0. */
  expireNodestConn: boolean;
}

export const DEFAULT_REUSE_SYSCTLS: Readonly<ReuseSysctls> = { connReuseMode: 1, expireNodestConn: false };

/** is_new_conn_expected: may a new SYN on this tuple start over (TIME_WAIT, CLOSE, ...)? */
export function isNewConnExpected(t: ConnTable, id: number, connReuseMode: number): boolean {
  if (t.control[id]! >= 0) return false; // controlled (persistence): stay with the template's server
  if (t.protocol[id] !== IPPROTO_TCP) return false;
  const s = t.state[id];
  return (
    s === TCP_S_TIME_WAIT ||
    s === TCP_S_CLOSE ||
    ((connReuseMode & 2) !== 0 && s === TCP_S_FIN_WAIT && (t.flags[id]! & CONN_F_NOOUTPUT) !== 0)
  );
}

/**
 * Decide for client packet (TCP flags `tcpFlags`) that matched connection `id`. On
 * REUSE_RESCHEDULE the old connection is made due (ip_vs_conn_expire_now) unless it controls
 * others; it stays findable until it expires, but a new one for the same tuple is hashed in
 * front of it.
 */
export function checkExistingConn(
  t: ConnTable,
  expiry: ConnExpiry,
  id: number,
  tcpFlags: number,
  nowMs: number,
  sysctls: ReuseSysctls,
): number {
  const dest = t.dest[id] ?? null;
  // is_new_conn: a TCP SYN (SCTP INIT is not supported).
  if (t.protocol[id] === IPPROTO_TCP && (tcpFlags & TCP_SYN) !== 0) {
    let resched = false;
    if (sysctls.expireNodestConn && dest !== null && dest.weight === 0) resched = true;
    else if (sysctls.connReuseMode !== 0 && isNewConnExpected(t, id, sysctls.connReuseMode)) resched = true;
    if (resched) {
      if (t.nControl[id] === 0) expiry.expireNow(id, nowMs);
      return REUSE_RESCHEDULE;
    }
  }
  if (dest !== null && (dest.flags & DEST_F_AVAILABLE) === 0) {
    if (!sysctls.expireNodestConn) return REUSE_DROP;
    expiry.expireNow(id, nowMs);
    return REUSE_RESCHEDULE;
  }
  return REUSE_KEEP;
}
