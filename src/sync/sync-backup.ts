// The backup side of connection sync: ip_vs_process_message (header and entry loop),
// ip_vs_proc_sync_conn (flag, protocol and state checks) and ip_vs_proc_conn (create or update
// the entry, bind it, set state and timeout) of ip_vs_sync.c, with ip_vs_find_dest and
// ip_vs_bind_dest's SYNC branch (ip_vs_ctl.c, ip_vs_conn.c). Every length and field of an entry
// is checked before the table is touched; a bad message is counted, never half-trusted.

import { FWD_MASQ, type Dest } from '../model/dest.ts';
import { countBound, setBound } from '../conn/bind-dest.ts';
import type { Service } from '../model/service.ts';
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
import { TCP_S_LAST, TCP_STATE_EMBRYONIC } from '../conn/proto-tcp.ts';
import type { Timeouts } from '../conn/proto-timeouts.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { readConn, readMesgHeader, SyncEntry, SyncHeader } from './sync-codec.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import { CONN_F_BACKUP_MASK, CONN_F_BACKUP_UPD_MASK, SYNC_MESG_HEADER_LEN } from './sync-proto.ts';

/** The service lookups ip_vs_service_find needs (ServiceTable). */
export interface SyncServices {
  lookup(protocol: number, vaddr: number, vport: number): Service | null;
  lookupFwmark(fwmark: number): Service | null;
}

/** Templates without a timeout in the message live 3 minutes (ip_vs_proc_conn). */
const TEMPLATE_DEFAULT_TIMEOUT_MS = 180_000;
/** MAX_SCHEDULE_TIMEOUT / HZ, bounded by what a Uint32 of milliseconds holds. */
const MAX_TIMEOUT_SEC = Math.floor(0xffffffff / 1000);

/** Counters of the backup; `tsvsadm -L --daemon --stats` and the metrics show them. */
export class SyncBackupStats {
  messages = 0;
  /** Shorter than a header, or size != datagram length. */
  badLength = 0;
  /** syncid differs from ours (ours non-zero). */
  otherSyncid = 0;
  /** Version 0 messages: not read by tsvs. */
  v0Messages = 0;
  /** Messages whose rest was dropped for a malformed entry (negative decode codes). */
  corrupt = 0;
  entries = 0;
  created = 0;
  updated = 0;
  /** Entries skipped: IPv6, unknown mandatory option, protocol, state, persistence engine. */
  skipped = 0;
  /** Entries whose service or real server this director does not have (the kernel keeps them unbound). */
  noDest = 0;
  /** Entries ignored as the late expiry of a replaced connection. */
  stale = 0;
  tableFull = 0;
}

export class SyncBackup {
  readonly stats = new SyncBackupStats();
  private readonly h = new SyncHeader();
  private readonly e = new SyncEntry();
  /** The service of findDest's last answer. */
  private foundSvc: Service | null = null;

  constructor(
    private readonly t: ConnTable,
    private readonly expiry: ConnExpiry,
    private readonly timeouts: Timeouts,
    private readonly services: SyncServices,
    private readonly st: SyncConnState,
    /** Our syncid: 0 accepts every master. */
    readonly syncid: number,
    /** sync_threshold: a synced entry's in_pkts. */
    private readonly threshold = 3,
  ) {}

  /** ip_vs_process_message: one received datagram. */
  processMessage(buf: Buffer, len: number, nowMs: number): void {
    const s = this.stats;
    const h = this.h;
    s.messages++;
    if (readMesgHeader(buf, 0, len, h) < 0) {
      s.badLength++;
      return;
    }
    if (this.syncid !== 0 && h.syncid !== this.syncid) {
      s.otherSyncid++;
      return;
    }
    if (!h.v1) {
      s.v0Messages++;
      return;
    }
    const e = this.e;
    let p = SYNC_MESG_HEADER_LEN;
    for (let i = 0; i < h.nrConns; i++) {
      const rc = readConn(buf, p, len, e);
      if (rc < 0) {
        s.corrupt++;
        return;
      }
      s.entries++;
      if (rc > 0 || !this.valid(e)) s.skipped++;
      else this.procConn(e, nowMs);
      p = e.next;
    }
  }

  /** ip_vs_proc_sync_conn after the options: protocol, state, persistence engine. */
  private valid(e: SyncEntry): boolean {
    if (e.peDataLen !== 0) return false; // no persistence engine in tsvs (ip_vs_conn_fill_param_sync: 50)
    if (e.flags & CONN_F_TEMPLATE) return true; // a bad template state is only logged by the kernel
    if (e.protocol === IPPROTO_TCP) return e.state < TCP_S_LAST;
    if (e.protocol === IPPROTO_UDP) return e.state < 1;
    return false;
  }

  /** ip_vs_proc_conn. */
  private procConn(e: SyncEntry, nowMs: number): void {
    const t = this.t;
    const s = this.stats;
    const flags = (e.flags & CONN_F_BACKUP_MASK) | CONN_F_SYNC;
    const tpl = (flags & CONN_F_TEMPLATE) !== 0;
    let id = tpl
      ? t.lookupTemplate(e.protocol, e.caddr, e.vaddr, e.vport)
      : t.lookupIn(e.protocol, e.caddr, e.cport, e.vaddr, e.vport);
    if (id >= 0 && !tpl && (t.dport[id] !== e.dport || t.daddr[id] !== e.daddr)) {
      if (flags & CONN_F_INACTIVE) {
        s.stale++; // "the expiration message for the connection that was already replaced"
        return;
      }
      this.expiry.expireNow(id, nowMs);
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
      s.updated++;
    } else {
      const found = this.findDest(e, flags);
      if (found === null) {
        s.noDest++;
        return;
      }
      id = t.alloc();
      if (id < 0) {
        s.tableFull++;
        return;
      }
      t.protocol[id] = e.protocol;
      t.caddr[id] = e.caddr;
      t.cport[id] = e.cport;
      t.vaddr[id] = e.vaddr;
      t.vport[id] = e.vport;
      t.daddr[id] = e.daddr;
      t.dport[id] = e.dport;
      t.laddr[id] = e.hasFullNat ? e.laddr : e.caddr;
      t.lport[id] = e.hasFullNat ? e.lport : e.cport;
      t.tsDelta[id] = e.hasFullNat ? e.tsDelta : 0;
      bindSynced(t, id, flags, found, this.foundSvc!);
      t.hashIn(id);
      if (!tpl) t.hashOut(id);
      s.created++;
    }
    t.inPkts[id] = this.threshold;
    const state = tpl ? Math.min(e.state, 0xff) : e.state;
    if (e.protocol === IPPROTO_TCP && !tpl) {
      const emb = t.embryonic;
      if (TCP_STATE_EMBRYONIC[state] === 1) emb.link(id);
      else emb.unlink(id);
    }
    t.state[id] = state;
    this.st.oldState[id] = state;
    let timeoutMs: number;
    if (e.timeoutSec !== 0) timeoutMs = Math.min(e.timeoutSec, MAX_TIMEOUT_SEC) * 1000;
    else if (tpl) timeoutMs = TEMPLATE_DEFAULT_TIMEOUT_MS;
    else timeoutMs = e.protocol === IPPROTO_TCP ? this.timeouts.tcpMs[state]! : this.timeouts.udpMs;
    t.timeoutMs[id] = timeoutMs;
    this.st.endMs[id] = nowMs + timeoutMs;
    this.st.retries[id] = 0;
    this.expiry.put(id, nowMs);
    // Last, as connNew (src/conn/conn-new.ts) does: the entry is whole (a restart keeps it, conn-restore.ts).
    t.flags[id] = t.flags[id]! | CONN_F_COMMITTED;
  }

  /**
   * ip_vs_find_dest: the service by fwmark, else by <protocol, vaddr, vport>; the real server by
   * <daddr, port> where port is 0 for a fwmark service not using NAT, then by the other port.
   */
  private findDest(e: SyncEntry, flags: number): Dest | null {
    const svc =
      e.fwmark !== 0 ? this.services.lookupFwmark(e.fwmark) : this.services.lookup(e.protocol, e.vaddr, e.vport);
    if (svc === null) return null;
    this.foundSvc = svc;
    const port = e.fwmark !== 0 && (flags & CONN_F_FWD_MASK) !== FWD_MASQ ? 0 : e.dport;
    return lookupDest(svc, e.daddr, port) ?? lookupDest(svc, e.daddr, port ^ e.dport);
  }
}

function lookupDest(svc: Service, addr: number, port: number): Dest | null {
  for (const d of svc.dests) if (d.addr === addr && d.port === port) return d;
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
