// sync-deal: which data-path thread of a backup with `[engine] workers M` installs a synced entry
// (ip_vs_proc_conn's table, one per thread here). No kernel counterpart: IPVS has one connection
// table per netns. The dealing is state-reshard.ts's, so a synced entry lands where a restored
// one would: on the worker the fanout program (src/io/fanout-program.ts) hands its frames to.
//
//   connection   the client side worker, fanoutWorker(caddr, cport, M): in frames and classic
//                NAT replies are hashed by the client's address and port (IPv6: the address's
//                fold, which SyncEntry.caddr holds). A full-NAT connection's replies go to the
//                owner of its local port, lport % M, instead: where that is another worker the
//                entry is installed on both (state-reshard.ts's `split`), each copy seeing one
//                direction; a synced entry never holds a pool's port (procConn leaves
//                CONN_F_LPORT_POOLED clear), so neither copy frees one.
//   template     every worker: a client's next connection may be hashed to any of them and must
//                find its persistence there (as dealEntries copies templates).
//
// Every entry is taken by at least one worker, so none is lost in the dealing; what a worker
// cannot install (its shard full, no such real server) is counted by its SyncBackup.

import { CONN_F_TEMPLATE } from '../conn/conn-flags.ts';
import type { SyncEntry } from '../sync/sync-entry.ts';
import type { SyncEntryFilter } from '../sync/sync-backup.ts';
import { replyWorker, reshardWorker } from './state-reshard.ts';

/** The entries worker `index` of `workers` installs. */
export class WorkerSyncDeal implements SyncEntryFilter {
  constructor(
    readonly index: number,
    readonly workers: number,
  ) {}

  takes(e: SyncEntry): boolean {
    if ((e.flags & CONN_F_TEMPLATE) !== 0) return true;
    if (reshardWorker(e.caddr, e.cport, this.workers) === this.index) return true;
    return e.hasFullNat && replyWorker(e.lport, this.workers) === this.index;
  }
}
