// workers-sync: tsvsd's connection sync daemons with `[engine] workers N` (N > 1), a SyncHost
// (sync-host.ts) over the data-path threads (worker-sync.ts is each thread's part).
//
//   master   every worker runs its own SyncMaster over its own shard: the connections it holds
//            are synced by it alone, hooked into its pipelines, written into its own messages and
//            sent through its own TX ring (or a UDP socket) to the group's port, mcastPort (8848),
//            each from a source port of its own. The wire stream is the one of a single master:
//            v1 messages of the same syncid on one port, so a backup of any worker count (or a
//            kernel's, sync_ports 1) reads them all. Nothing crosses threads per packet or per
//            message; the rate bound is shared out, SYNC_MAX_MESSAGES_PER_SEC / N per worker.
//            (The kernel's sync_ports instead gives master thread i port mcast_port + i, which a
//            backup must listen on with as many threads: not needed when each sender is whole.)
//   backup   one socket on this thread, joined to the group (make_receive_sock); each datagram
//            goes to every worker, whose SyncBackup installs the entries sync-deal.ts deals it
//            (the worker the fanout program hands the flow's frames to). The counters of the
//            messages (messages, badLength, otherSyncid, v0Messages, corrupt) are worker 0's, as
//            every worker reads every header; those of the entries are summed (a template, which
//            every worker takes, and a split full-NAT connection count on each).
//
// A crash restarts every worker (engine-workers.ts); restarted() starts the running daemons'
// parts in the new threads again.

import type { Worker } from 'node:worker_threads';
import type dgram from 'node:dgram';
import type { Logger } from '../lib/logger.ts';
import type { SyncHost, SyncRun } from './sync-host.ts';
import type { SyncDaemonConfig, SyncState } from './sync-request.ts';
import { openSyncReceiver, SYNC_MAX_MESSAGES_PER_SEC } from './sync-thread.ts';
import { askWorkers } from './workers-ops.ts';
import type { ToWorker } from './worker-messages.ts';

/** The backup counters about whole messages: the same in every worker. */
const MESSAGE_COUNTERS = new Set(['messages', 'badLength', 'otherSyncid', 'v0Messages', 'corrupt']);

/** The workers' counters of one daemon as one: message counters from worker 0, the rest summed. */
export function mergeSyncStats(got: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  got.forEach((g, i) => {
    for (const [k, v] of Object.entries(g)) {
      if (MESSAGE_COUNTERS.has(k)) {
        if (i === 0) out[k] = v;
      } else out[k] = (out[k] ?? 0) + v;
    }
  });
  return out;
}

export class WorkersSyncHost implements SyncHost {
  /** The running daemons' start arguments, for restarted(). */
  private readonly running = new Map<SyncState, Record<string, unknown>>();

  constructor(
    private readonly threads: () => readonly Worker[],
    private readonly log: Logger,
  ) {}

  async start(cfg: SyncDaemonConfig, addr: string): Promise<SyncRun> {
    const all = this.threads();
    const maxPerSec = Math.max(1, Math.floor(SYNC_MAX_MESSAGES_PER_SEC / Math.max(1, all.length)));
    const args = { action: 'start', cfg, addr, maxPerSec };
    try {
      await askWorkers(all, 'sync', () => args);
    } catch (e) {
      this.stopIn(cfg.state);
      throw e;
    }
    let sock: dgram.Socket | null = null;
    let tooLong = 0;
    if (cfg.state === 'backup') {
      const send = (msg: Buffer): void => {
        // One copy of its own (a received Buffer may view a larger pool, which a clone would copy).
        const data = new Uint8Array(msg);
        for (const w of this.threads()) w.postMessage({ type: 'syncMessage', data } satisfies ToWorker);
      };
      try {
        sock = await openSyncReceiver(cfg, addr, send, () => tooLong++);
      } catch (e) {
        this.stopIn(cfg.state);
        throw e;
      }
    }
    this.running.set(cfg.state, args);
    const state = cfg.state;
    return {
      cfg,
      stats: async () => {
        const got = await askWorkers(this.threads(), 'sync', () => ({ action: 'stats', state }));
        const s = mergeSyncStats(got as Record<string, number>[]);
        if (tooLong > 0) {
          s['messages'] = (s['messages'] ?? 0) + tooLong;
          s['badLength'] = (s['badLength'] ?? 0) + tooLong;
        }
        return s;
      },
      close: () => {
        this.running.delete(state);
        sock?.close();
        this.stopIn(state);
      },
    };
  }

  /** The workers restarted after a crash: each running daemon's part starts in the new threads. */
  restarted(): void {
    for (const [state, args] of this.running)
      askWorkers(this.threads(), 'sync', () => args).catch((e: unknown) =>
        this.log.error('the sync daemon did not start again in every engine worker', {
          state,
          error: (e as Error).message,
        }),
      );
  }

  /** Stops the daemon of `state` in every worker (a worker without one does nothing). */
  private stopIn(state: SyncState): void {
    askWorkers(this.threads(), 'sync', () => ({ action: 'stop', state })).catch((e: unknown) =>
      this.log.warn('an engine worker did not stop its sync daemon', { state, error: (e as Error).message }),
    );
  }
}
