// ip_vs_proc_conn (ip_vs_sync.c) for a checked entry of either family: find the connection or
// template, update it or make it bound to its real server (ip_vs_find_dest, ip_vs_conn_new,
// ip_vs_bind_dest's SYNC branch in ip_vs_ctl.c / ip_vs_conn.c), then state, in_pkts and timeout.
// What differs by family (the lookups, the address comparison and columns) is a SyncFamily
// (sync-family.ts); everything else is one code path, as the kernel's one function.

import { countBound, setBound } from '../conn/bind-dest.ts';
import {
  CONN_F_COMMITTED,
  CONN_F_FWD_MASK,
  CONN_F_INACTIVE,
  CONN_F_NOOUTPUT,
  CONN_F_SYNC,
  CONN_F_TEMPLATE,
  destConnFlags,
} from '../conn/conn-flags.ts';
import type { ConnTable } from '../conn/conn-table.ts';
import type { ConnExpiry } from '../conn/expiry.ts';
import { TCP_STATE_EMBRYONIC } from '../conn/proto-tcp.ts';
import type { Timeouts } from '../conn/proto-timeouts.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { FWD_MASQ, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import type { SyncEntry } from './sync-entry.ts';
import { CONN_F_BACKUP_MASK, CONN_F_BACKUP_UPD_MASK } from './sync-proto.ts';

/** One family's connection table as the backup sees it. */
export interface SyncFamily {
  readonly t: ConnTable;
  readonly expiry: ConnExpiry;
  readonly timeouts: Timeouts;
  readonly st: SyncConnState;
  /** ip_vs_conn_in_get / ip_vs_ct_in_get (a template) for the entry's addresses and ports, or -1. */
  lookup(e: SyncEntry, template: boolean): number;
  /** cp->dport == dport && ip_vs_addr_equal(cp->daddr, daddr). */
  sameDest(id: number, e: SyncEntry): boolean;
  /** ip_vs_service_find for the entry's family: by fwmark, else by <protocol, vaddr, vport>. */
  findService(e: SyncEntry): Service | null;
  /** A real server of the entry's family at the entry's daddr and this port. */
  destIs(d: Dest, e: SyncEntry, port: number): boolean;
  /** The address columns of a new entry (the local end: the full NAT option's, else the client). */
  setAddrs(id: number, e: SyncEntry): void;
}

/** What procConn did. */
export const PROC_CREATED = 0;
export const PROC_UPDATED = 1;
/** The service or real server is not here (the kernel keeps such an entry unbound; tsvs skips it). */
export const PROC_NO_DEST = 2;
/** "the expiration message for the connection that was already replaced". */
export const PROC_STALE = 3;
export const PROC_TABLE_FULL = 4;

/** Templates without a timeout in the message live 3 minutes (ip_vs_proc_conn). */
const TEMPLATE_DEFAULT_TIMEOUT_MS = 180_000;
/** MAX_SCHEDULE_TIMEOUT / HZ, bounded by what a Uint32 of milliseconds holds. */
const MAX_TIMEOUT_SEC = Math.floor(0xffffffff / 1000);

/** ip_vs_proc_conn for entry e (checked by ip_vs_proc_sync_conn); threshold: sync_threshold. */
export function procConn(f: SyncFamily, e: SyncEntry, threshold: number, nowMs: number): number {
  const t = f.t;
  const flags = (e.flags & CONN_F_BACKUP_MASK) | CONN_F_SYNC;
  const tpl = (flags & CONN_F_TEMPLATE) !== 0;
  let id = f.lookup(e, tpl);
  let rc = PROC_UPDATED;
  if (id >= 0 && !tpl && !f.sameDest(id, e)) {
    if (flags & CONN_F_INACTIVE) return PROC_STALE;
    f.expiry.expireNow(id, nowMs);
    id = -1;
  }
  if (id >= 0) {
    const dest = t.dest[id];
    const old = t.flags[id]!;
    if ((old ^ flags) & CONN_F_INACTIVE && !tpl && dest !== null && dest !== undefined) {
      if (flags & CONN_F_INACTIVE) {
        dest.activeConns--;
        dest.inactConns++;
      } else {
        dest.activeConns++;
        dest.inactConns--;
      }
      const svc = t.svc[id]!;
      svc.sched.loadChanged(svc, dest);
    }
    t.flags[id] = (flags & CONN_F_BACKUP_UPD_MASK) | (old & ~CONN_F_BACKUP_UPD_MASK);
  } else {
    const svc = f.findService(e);
    const dest = svc === null ? null : findDest(f, svc, e, flags);
    if (svc === null || dest === null) return PROC_NO_DEST;
    id = t.alloc();
    if (id < 0) return PROC_TABLE_FULL;
    t.protocol[id] = e.protocol;
    t.cport[id] = e.cport;
    t.vport[id] = e.vport;
    t.dport[id] = e.dport;
    f.setAddrs(id, e);
    t.lport[id] = e.hasFullNat ? e.lport : e.cport;
    t.tsDelta[id] = e.hasFullNat ? e.tsDelta : 0;
    bindSynced(t, id, flags, dest, svc);
    t.hashIn(id);
    if (!tpl) t.hashOut(id);
    rc = PROC_CREATED;
  }
  t.inPkts[id] = threshold;
  const state = tpl ? Math.min(e.state, 0xff) : e.state;
  if (e.protocol === IPPROTO_TCP && !tpl) {
    const emb = t.embryonic;
    if (TCP_STATE_EMBRYONIC[state] === 1) emb.link(id);
    else emb.unlink(id);
  }
  t.state[id] = state;
  f.st.oldState[id] = state;
  let timeoutMs: number;
  if (e.timeoutSec !== 0) timeoutMs = Math.min(e.timeoutSec, MAX_TIMEOUT_SEC) * 1000;
  else if (tpl) timeoutMs = TEMPLATE_DEFAULT_TIMEOUT_MS;
  else timeoutMs = e.protocol === IPPROTO_TCP ? f.timeouts.tcpMs[state]! : f.timeouts.udpMs;
  t.timeoutMs[id] = timeoutMs;
  f.st.endMs[id] = nowMs + timeoutMs;
  f.st.retries[id] = 0;
  f.expiry.put(id, nowMs);
  // Last, as connNew (src/conn/conn-new.ts) does: the entry is whole (a restart keeps it, conn-restore.ts).
  t.flags[id] = t.flags[id]! | CONN_F_COMMITTED;
  return rc;
}

/**
 * ip_vs_find_dest's real server in svc: by <daddr, port> where port is 0 for a fwmark service not
 * using NAT, then by the other port.
 */
function findDest(f: SyncFamily, svc: Service, e: SyncEntry, flags: number): Dest | null {
  const port = e.fwmark !== 0 && (flags & CONN_F_FWD_MASK) !== FWD_MASQ ? 0 : e.dport;
  for (const d of svc.dests) if (f.destIs(d, e, port)) return d;
  for (const d of svc.dests) if (f.destIs(d, e, port ^ e.dport)) return d;
  return null;
}

/**
 * ip_vs_bind_dest for a SYNC entry: forwarding method and NOOUTPUT come from the local real
 * server, a connection keeps the synced INACTIVE bit (a template counts as persistent), then the
 * counters and OVERLOAD as for any binding (src/conn/bind-dest.ts).
 */
function bindSynced(t: ConnTable, id: number, synced: number, dest: Dest, svc: Service): void {
  const tpl = (synced & CONN_F_TEMPLATE) !== 0;
  let connFlags = destConnFlags(dest);
  if (!tpl) connFlags &= ~CONN_F_INACTIVE;
  const flags = t.flags[id]! | (synced & ~(CONN_F_FWD_MASK | CONN_F_NOOUTPUT)) | connFlags;
  t.flags[id] = flags;
  setBound(t, id, dest, svc);
  countBound(t, id, dest, svc);
}
