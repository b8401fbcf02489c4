// Connection flag bits (IP_VS_CONN_F_* in include/uapi/linux/ip_vs.h) and the flags a dest hands
// to its connections (dest->conn_flags, set by __ip_vs_update_dest in ip_vs_ctl.c).

import { FWD_MASQ, FWD_FULLNAT, type Dest } from '../model/dest.ts';

/** Forwarding method bits; the values equal Dest.fwd (FWD_MASQ .. FWD_ROUTE, FWD_FULLNAT). */
export const CONN_F_FWD_MASK = 0x0007;
/** Entry created by the sync daemon (kept for parity; tsvs has no sync yet). */
export const CONN_F_SYNC = 0x0020;
/** Hashed in the IN index (IP_VS_CONN_F_HASHED). */
export const CONN_F_HASHED = 0x0040;
/** No output packets: replies bypass the director (DR, TUN); INPUT becomes INPUT_ONLY. */
export const CONN_F_NOOUTPUT = 0x0080;
/** Not established: counted in dest.inactConns instead of activeConns. */
export const CONN_F_INACTIVE = 0x0100;
export const CONN_F_NO_CPORT = 0x0800;
/** A persistence template, not a connection. */
export const CONN_F_TEMPLATE = 0x1000;
/** -o one-packet scheduling (UDP only): not hashed, expires right after its packet. */
export const CONN_F_ONE_PACKET = 0x2000;

// tsvs-internal bits, above the kernel's 16-bit range.
/** Slot holds a live entry (connection or template). */
export const CONN_F_LIVE = 0x10000;
/** Hashed in the OUT index (real server -> director). */
export const CONN_F_HASHED_OUT = 0x20000;
/** Full NAT: (laddr, lport) came from a local port pool and goes back to it on expiry. */
export const CONN_F_LPORT_POOLED = 0x40000;
/**
 * Every field of a new entry is written (set last by connNew, conn-new.ts). An entry that is LIVE
 * without it was torn by a kill in the middle of its creation; restoreConns drops it.
 */
export const CONN_F_COMMITTED = 0x80000;
/** Opened by the SYN proxy: sequence numbers (and timestamps) translated (src/datapath/synproxy.ts). */
export const CONN_F_SYNPROXY = 0x100000;
/** SYN proxy: the SYN to the real server is out, its SYN-ACK not in yet. */
export const CONN_F_SP_PENDING = 0x200000;

/** Template states (IP_VS_CTPL_S_*, ip_vs_proto.c ip_vs_ctpl_state_name_table). */
export const CTPL_S_NONE = 0;
export const CTPL_S_ASSURED = 1;
export const CTPL_STATE_NAMES: readonly string[] = ['NONE', 'ASSURED'];

/**
 * dest->conn_flags as __ip_vs_update_dest builds it: the forwarding method, INACTIVE (every new
 * connection starts inactive), and NOOUTPUT when replies do not come back through us
 * ("set the IP_VS_CONN_F_NOOUTPUT flag if not masquerading/NAT"). Full NAT sees both directions,
 * so it is treated like masquerading.
 */
export function destConnFlags(dest: Dest): number {
  const fwd = dest.fwd & CONN_F_FWD_MASK;
  let f = fwd | CONN_F_INACTIVE;
  if (fwd !== FWD_MASQ && fwd !== FWD_FULLNAT) f |= CONN_F_NOOUTPUT;
  return f;
}
