// sync-host: where tsvsd's connection sync daemons run (sync-daemon.ts starts them on one). With
// one engine, on this thread over its tables (sync-thread.ts), as the kernel's sync threads work
// on its one connection table; with `[engine] workers N`, on the data-path threads
// (workers-sync.ts). Either way a daemon is started with its settings, answers its counters and
// is closed (start_sync_thread, ip_vs_genl_fill_daemon, stop_sync_thread in ip_vs_sync.c).

import type { Logger } from '../lib/logger.ts';
import type { Engine } from '../datapath/engine.ts';
import type { SyncServices } from '../sync/sync-family.ts';
import { SyncConnState } from '../sync/sync-conn-state.ts';
import type { SyncDaemonConfig } from './sync-request.ts';
import { closeSyncThread, startSyncBackup, startSyncMaster, syncThreadStats } from './sync-thread.ts';

/** One running daemon. */
export interface SyncRun {
  readonly cfg: SyncDaemonConfig;
  /** Its counters (-L --daemon --stats, --sync). */
  stats(): Record<string, number> | Promise<Record<string, number>>;
  /** stop_sync_thread: queued messages are discarded, as the kernel does. */
  close(): void;
}

/** Starts daemons (cfg with defaults applied; addr: the interface's IPv4 address). */
export interface SyncHost {
  start(cfg: SyncDaemonConfig, addr: string): Promise<SyncRun>;
}

/** The daemons of the engine on this thread. */
export function engineSyncHost(engine: Engine, services: SyncServices, log: Logger): SyncHost {
  // The sync fields of the IPv4 connections and of the IPv6 ones (null without IPv6), by conn id.
  const st = new SyncConnState(engine.conns.table.capacity);
  const st6 = engine.v6 === null ? null : new SyncConnState(engine.v6.cm.t6.table.capacity);
  return {
    async start(cfg, addr) {
      const r =
        cfg.state === 'master'
          ? await startSyncMaster(engine, st, st6, cfg, addr, log)
          : await startSyncBackup(engine, services, st, st6, cfg, addr);
      return { cfg, stats: () => syncThreadStats(r), close: () => closeSyncThread(engine, r) };
    },
  };
}
