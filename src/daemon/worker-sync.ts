// worker-sync: the connection sync daemons' part in one data-path thread (engine-worker.ts) with
// `[engine] workers N`, asked by the main thread (workers-sync.ts) through the 'sync' op:
//
//   start {cfg, addr, maxPerSec}  master: a SyncMaster over this thread's tables, hooked into its
//                                 pipelines, sending to the group's port (mcastPort, 8848 by
//                                 default) from its own source port, through this thread's TX
//                                 ring or a UDP socket (sync-thread.ts), at most maxPerSec
//                                 messages a second (its share of the rate bound)
//   start {cfg}                   backup: a SyncBackup over this thread's tables that installs
//                                 the entries sync-deal.ts deals it; the messages arrive as
//                                 'syncMessage' from the main thread's socket
//   stop {state}                  stop_sync_thread
//   stats {state}                 the daemon's counters in this thread
//
// A connection lives in one thread's table, and that thread's master alone syncs it: as the
// kernel's ip_vs_sync_conn sends a connection always to the same master thread.

import type { Logger } from '../lib/logger.ts';
import type { Engine } from '../datapath/engine.ts';
import type { SyncBackup } from '../sync/sync-backup.ts';
import { SyncConnState } from '../sync/sync-conn-state.ts';
import type { SyncServices } from '../sync/sync-family.ts';
import { WorkerSyncDeal } from './sync-deal.ts';
import type { SyncDaemonConfig } from './sync-request.ts';
import { closeSyncThread, startSyncMaster, syncBackupOf, syncThreadStats, type SyncThread } from './sync-thread.ts';

type Args = Readonly<Record<string, unknown>>;

export class WorkerSync {
  private st: SyncConnState | null = null;
  private st6: SyncConnState | null = null;
  private master: SyncThread | null = null;
  private backup: SyncBackup | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly services: SyncServices,
    private readonly index: number,
    private readonly workers: number,
    private readonly log: Logger,
  ) {}

  /** The 'sync' op: start, stop or stats of the master or the backup in this thread. */
  async op(args: Args): Promise<unknown> {
    const cfg = args['cfg'] as SyncDaemonConfig | undefined;
    const state = cfg?.state ?? args['state'];
    if (state !== 'master' && state !== 'backup') throw new Error('sync op: state must be master or backup');
    switch (args['action']) {
      case 'start':
        await this.start(cfg!, String(args['addr']), Number(args['maxPerSec']));
        return {};
      case 'stop':
        this.stop(state);
        return {};
      case 'stats':
        if (state === 'master') return this.master === null ? {} : syncThreadStats(this.master);
        return this.backup === null ? {} : { ...this.backup.stats };
      default:
        throw new Error(`sync op: no action ${String(args['action'])}`);
    }
  }

  /** A datagram the main thread's backup socket received (ip_vs_process_message). */
  message(buf: Buffer): void {
    this.backup?.processMessage(buf, buf.length, Date.now());
  }

  /** Both daemons stopped (the thread stops). */
  stopAll(): void {
    this.stop('master');
    this.stop('backup');
  }

  private async start(cfg: SyncDaemonConfig, addr: string, maxPerSec: number): Promise<void> {
    const e = this.engine;
    // The sync fields of this thread's connections, shared by its master and its backup.
    this.st ??= new SyncConnState(e.conns.table.capacity);
    if (e.v6 !== null) this.st6 ??= new SyncConnState(e.v6.cm.t6.table.capacity);
    this.stop(cfg.state);
    if (cfg.state === 'master') {
      this.master = await startSyncMaster(e, this.st, this.st6, cfg, addr, this.log, maxPerSec);
    } else {
      const deal = new WorkerSyncDeal(this.index, this.workers);
      this.backup = syncBackupOf(e, this.services, this.st, this.st6, cfg.syncid, deal);
    }
  }

  private stop(state: 'master' | 'backup'): void {
    if (state === 'master') {
      if (this.master !== null) closeSyncThread(this.engine, this.master);
      this.master = null;
    } else this.backup = null;
  }
}
