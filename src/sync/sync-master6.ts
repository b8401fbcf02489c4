// The master side of connection sync for IPv6 connections: ip_vs_sync_conn's AF_INET6 entries
// (struct ip_vs_sync_v6, ip_vs_sync.c), written into the same messages as the IPv4 ones
// (SyncMaster's current buffer and queue), with the same decision (sync-walk.ts, sync-needed.ts)
// over the IPv6 connection table (conn-table6.ts) and its own per-connection sync fields.
//
//   Pipeline6 (per inbound packet) -> SyncMaster6.syncConn(id) -> syncWalk -> writeConn(id)
//                                                       SyncMaster.reserve / curBuf / commit
//
// Per packet nothing is allocated: the 128-bit addresses are copied from the table's columns.

import { CONN_F_FWD_MASK, CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import type { ConnTable6 } from '../conn/conn-table6.ts';
import { FWD_FULLNAT } from '../model/dest.ts';
import { connV6Len, writeConnV6 } from './sync-codec.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import type { SyncMaster } from './sync-master.ts';
import { SYNC_FLAGS_SENT_MASK } from './sync-proto.ts';
import { syncWalk, type SyncEntryWriter } from './sync-walk.ts';

export class SyncMaster6 implements SyncEntryWriter {
  constructor(
    /** The master whose messages the IPv6 entries join. */
    readonly m: SyncMaster,
    private readonly t6: ConnTable6,
    /** old_state / sync_endtime of the IPv6 table's entries, by their ids. */
    private readonly st: SyncConnState,
  ) {}

  /** ip_vs_sync_conn after an inbound packet of IPv6 connection `id` (Pipeline6's hook). */
  syncConn(id: number, nowMs: number): void {
    syncWalk(this.t6.table, this.st, this.m.sysctls, this, id, nowMs);
  }

  /** ip_vs_sync_conn's writer for IPv6 entry `id`: struct ip_vs_sync_v6 (+ the IPv6 full NAT option). */
  writeConn(id: number, nowMs: number): void {
    const t6 = this.t6;
    const t = t6.table;
    const flags = t.flags[id]!;
    const fullNat = (flags & CONN_F_FWD_MASK) === FWD_FULLNAT && (flags & CONN_F_TEMPLATE) === 0;
    const m = this.m;
    const off = m.reserve(connV6Len(fullNat), nowMs);
    if (off < 0) return;
    const svc = t.svc[id];
    const len = writeConnV6(
      m.curBuf,
      off,
      t.protocol[id]!,
      flags & SYNC_FLAGS_SENT_MASK,
      t.state[id]!,
      t.cport[id]!,
      t.vport[id]!,
      t.dport[id]!,
      svc !== null && svc !== undefined ? svc.fwmark : 0,
      (t.timeoutMs[id]! / 1000) | 0,
      t6.caddr6,
      t6.vaddr6,
      t6.daddr6,
      id << 2,
      fullNat,
      t6.laddr6,
      fullNat ? t.lport[id]! : 0,
      fullNat ? t.tsDelta[id]! : 0,
    );
    m.commit(off + len);
  }
}
