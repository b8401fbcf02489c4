// The backup side of connection sync: ip_vs_process_message (header and entry loop) and
// ip_vs_proc_sync_conn (flag, protocol and state checks) of ip_vs_sync.c, handing each good entry
// to ip_vs_proc_conn (sync-proc-conn.ts) in the table of its family: IPv4 entries to the IPv4
// connections, IPv6 ones (struct ip_vs_sync_v6) to the IPv6 connections (sync-family.ts). Every
// length and field of an entry is checked before a table is touched; a bad message is counted,
// never half-trusted.

import { CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import { TCP_S_LAST } from '../conn/proto-tcp.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { SyncEntry, SyncHeader } from './sync-entry.ts';
import type { SyncFamily4, SyncFamily6 } from './sync-family.ts';
import { PROC_CREATED, PROC_NO_DEST, PROC_STALE, PROC_TABLE_FULL, PROC_UPDATED, procConn } from './sync-proc-conn.ts';
import { readConn, readMesgHeader } from './sync-read.ts';
import { SYNC_MESG_HEADER_LEN } from './sync-proto.ts';

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
  /**
   * Entries skipped: unknown mandatory option, protocol, state, persistence engine, IPv6 on a
   * director without IPv6 (as a kernel without CONFIG_IP_VS_IPV6).
   */
  skipped = 0;
  /** Entries whose service or real server this director does not have (the kernel keeps them unbound). */
  noDest = 0;
  /** Entries ignored as the late expiry of a replaced connection. */
  stale = 0;
  tableFull = 0;
}

/**
 * Which entries of a message this backup installs: with several data-path threads each has its
 * own table and takes the entries whose frames the fanout program hands it (src/daemon/sync-deal.ts).
 */
export interface SyncEntryFilter {
  takes(e: SyncEntry): boolean;
}

export class SyncBackup {
  readonly stats = new SyncBackupStats();
  private readonly h = new SyncHeader();
  private readonly e = new SyncEntry();

  constructor(
    /** IPv4 connections. */
    private readonly v4: SyncFamily4,
    /** IPv6 connections; null on a director without IPv6: IPv6 entries are skipped. */
    private readonly v6: SyncFamily6 | null,
    /** Our syncid: 0 accepts every master. */
    readonly syncid: number,
    /** sync_threshold: a synced entry's in_pkts. */
    private readonly threshold = 3,
    /** null: every entry is this backup's (one table). An entry not taken is not counted here. */
    private readonly filter: SyncEntryFilter | null = null,
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
      p = e.next;
      if (this.filter !== null && !this.filter.takes(e)) continue;
      s.entries++;
      const f = e.inet6 ? this.v6 : this.v4;
      if (rc > 0 || f === null || !this.valid(e)) s.skipped++;
      else this.count(procConn(f, e, this.threshold, nowMs));
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

  private count(rc: number): void {
    const s = this.stats;
    if (rc === PROC_CREATED) s.created++;
    else if (rc === PROC_UPDATED) s.updated++;
    else if (rc === PROC_NO_DEST) s.noDest++;
    else if (rc === PROC_STALE) s.stale++;
    else if (rc === PROC_TABLE_FULL) s.tableFull++;
  }
}
