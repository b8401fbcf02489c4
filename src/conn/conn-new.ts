// connNew: a new connection or template in the table: ip_vs_conn_new, ip_vs_bind_dest and
// ip_vs_conn_hash (ip_vs_conn.c). Runs per new connection, never per established packet;
// allocates nothing.

import { FWD_FULLNAT, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { DROP_CONN_TABLE_FULL, DROP_PORTS_EXHAUSTED } from '../lib/drops.ts';
import { CONN_F_COMMITTED, CONN_F_LPORT_POOLED, CONN_F_ONE_PACKET, CONN_F_TEMPLATE } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import { bindDest } from './bind-dest.ts';
import type { ConnExpiry } from './expiry.ts';
import type { LocalAddrPool } from './port-pool.ts';

/** ip_vs_conn_new: cp->timeout = 3*HZ until the first state transition sets the state's. */
export const INITIAL_TIMEOUT_MS = 3000;

/**
 * ip_vs_conn_new + ip_vs_bind_dest + ip_vs_conn_hash. Full NAT connections take a local
 * address and port first; others use the client's as laddr/lport. State NONE (0), timeout 3 s,
 * armed so that a connection the caller never put() still expires.
 */
export function connNew(
  t: ConnTable,
  expiry: ConnExpiry,
  fnat: LocalAddrPool | null,
  proto: number,
  caddr: number,
  cport: number,
  vaddr: number,
  vport: number,
  dport: number,
  flags: number,
  dest: Dest,
  svc: Service,
  nowMs: number,
): number {
  let laddr = caddr;
  let lport = cport;
  if (dest.fwd === FWD_FULLNAT && (flags & CONN_F_TEMPLATE) === 0) {
    if (fnat === null) return -DROP_PORTS_EXHAUSTED;
    const p = fnat.alloc();
    if (p < 0) return -DROP_PORTS_EXHAUSTED;
    laddr = fnat.lastAddr;
    lport = p;
    flags |= CONN_F_LPORT_POOLED;
  }
  const id = t.alloc();
  if (id < 0) {
    if (flags & CONN_F_LPORT_POOLED) fnat!.release(laddr, lport);
    return -DROP_CONN_TABLE_FULL;
  }
  t.protocol[id] = proto;
  t.caddr[id] = caddr;
  t.cport[id] = cport;
  t.vaddr[id] = vaddr;
  t.vport[id] = vport;
  t.daddr[id] = dest.addr;
  t.dport[id] = dport;
  t.laddr[id] = laddr;
  t.lport[id] = lport;
  t.flags[id] = t.flags[id]! | flags;
  bindDest(t, id, dest, svc);
  t.state[id] = 0;
  t.timeoutMs[id] = INITIAL_TIMEOUT_MS;
  if ((flags & CONN_F_ONE_PACKET) === 0) {
    t.hashIn(id);
    if ((flags & CONN_F_TEMPLATE) === 0) t.hashOut(id);
  }
  if (proto === IPPROTO_TCP && (flags & CONN_F_TEMPLATE) === 0) t.embryonic.link(id); // state NONE
  expiry.wheel.arm(id, nowMs + INITIAL_TIMEOUT_MS);
  t.flags[id] = t.flags[id]! | CONN_F_COMMITTED; // last: the entry is whole (conn-restore.ts)
  return id;
}
