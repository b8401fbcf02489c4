// The connection sync daemons of tsvsd: --start-daemon / --stop-daemon / -L --daemon over the
// control socket, each daemon a UDP multicast socket in tsvsd's network namespace
// (start_sync_thread, stop_sync_thread in ip_vs_sync.c; ip_vs_genl_new_daemon /
// ip_vs_genl_dump_daemons in ip_vs_ctl.c); each running daemon is a SyncRun of a SyncHost
// (sync-host.ts): on the engine of this thread, or on the data-path threads (workers-sync.ts).

import { networkInterfaces } from 'node:os';
import { TsvsError } from '../lib/errors.ts';
import { ipToString } from '../lib/inet.ts';
import type { Logger } from '../lib/logger.ts';
import { ipvsError } from '../model/ipvs-errors.ts';
import {
  DEFAULT_MCAST_IFN,
  DEFAULT_SYNC_GROUP,
  DEFAULT_SYNC_MAXLEN,
  DEFAULT_SYNC_PORT,
  DEFAULT_SYNC_TTL,
  MAX_SYNC_MAXLEN,
  MIN_BACKUP_MAXLEN,
} from '../sync/sync-proto.ts';
import { parseSyncRequest, startDaemonRequests, type SyncDaemonConfig, type SyncState } from './sync-request.ts';
import type { SyncHost, SyncRun } from './sync-host.ts';
import type { TsvsDaemon } from './daemon.ts';
import type { DaemonConfig } from './config-file.ts';

/** One running daemon as ip_vs_genl_fill_daemon reports it, defaults applied. */
export interface SyncDaemonInfo extends SyncDaemonConfig {
  readonly stats: Record<string, number>;
}

/** The interface's first IPv4 address (the kernel binds the master to its primary one). */
function ifaceAddr(name: string): string | null {
  const list = networkInterfaces()[name];
  const a = list?.find((x) => x.family === 'IPv4');
  return a === undefined ? null : a.address;
}

export class SyncDaemons {
  private readonly running = new Map<SyncState, SyncRun>();

  constructor(
    private readonly host: SyncHost,
    private readonly log: Logger,
  ) {}

  /** ip_vs_genl_new_daemon + start_sync_thread. */
  async start(raw: Record<string, unknown>): Promise<void> {
    const req = parseSyncRequest(raw);
    if (this.running.has(req.state)) throw ipvsError('start-daemon', 'EEXIST');
    const addr = ifaceAddr(req.mcastIfn);
    if (addr === null) throw ipvsError('start-daemon', 'ENODEV', `no IPv4 interface ${req.mcastIfn}`);
    const master = req.state === 'master';
    const maxlen =
      req.syncMaxlen === 0
        ? DEFAULT_SYNC_MAXLEN
        : Math.min(Math.max(req.syncMaxlen, master ? 1 : MIN_BACKUP_MAXLEN), MAX_SYNC_MAXLEN);
    const cfg: SyncDaemonConfig = {
      state: req.state,
      mcastIfn: req.mcastIfn === '' ? DEFAULT_MCAST_IFN : req.mcastIfn,
      syncid: req.syncid,
      syncMaxlen: maxlen,
      mcastGroup: req.mcastGroup === 0 ? DEFAULT_SYNC_GROUP : req.mcastGroup,
      mcastPort: req.mcastPort === 0 ? DEFAULT_SYNC_PORT : req.mcastPort,
      mcastTtl: req.mcastTtl === 0 ? DEFAULT_SYNC_TTL : req.mcastTtl,
    };
    this.running.set(cfg.state, await this.host.start(cfg, addr));
    this.log.info('sync daemon started', {
      state: cfg.state,
      mcast: cfg.mcastIfn,
      syncid: cfg.syncid,
      group: ipToString(cfg.mcastGroup),
      port: cfg.mcastPort,
    });
  }

  /** ip_vs_genl_del_daemon + stop_sync_thread: queued messages are discarded, as the kernel does. */
  stop(raw: Record<string, unknown>): void {
    const state = raw['state'];
    if (state !== 'master' && state !== 'backup') throw new TsvsError('EBADREQ', 'state must be master or backup');
    const r = this.running.get(state);
    if (r === undefined) throw ipvsError('stop-daemon', 'ESRCH');
    r.close();
    this.running.delete(state);
    this.log.info('sync daemon stopped', { state });
  }

  stopAll(): void {
    for (const r of this.running.values()) r.close();
    this.running.clear();
  }

  /** The running daemons' start arguments (defaults applied): what a handover passes on. */
  configs(): Record<string, unknown>[] {
    return [...this.running.values()].map((r) => ({ ...r.cfg }));
  }

  /** Whether a daemon of this state runs. */
  has(state: SyncState): boolean {
    return this.running.has(state);
  }

  /** ip_vs_genl_dump_daemons: master first, then backup. */
  async list(): Promise<SyncDaemonInfo[]> {
    const out: SyncDaemonInfo[] = [];
    for (const state of ['master', 'backup'] as const) {
      const r = this.running.get(state);
      if (r !== undefined) out.push({ ...r.cfg, stats: await r.stats() });
    }
    return out;
  }
}

/**
 * Serves daemon.start / daemon.stop / daemon.list on tsvsd's socket over the running engine, and
 * starts the daemons the config's [rules] `--start-daemon` lines ask for. A line that does not
 * parse stops tsvsd's start (ECONFIG); a daemon that cannot start (no such interface) is logged
 * and tsvsd runs on without it, as the kernel keeps balancing when its sync thread fails. Then
 * the daemons a predecessor handed over (`handed`, tsvsd --takeover) whose state the config did
 * not start: a daemon started at run time keeps running across the swap.
 */
export async function wireSync(
  daemon: TsvsDaemon,
  host: SyncHost,
  log: Logger,
  config: DaemonConfig | null,
  handed: readonly Record<string, unknown>[] = [],
): Promise<SyncDaemons> {
  const sync = new SyncDaemons(host, log);
  daemon.addOp('daemon.start', (a) => sync.start(a).then(() => ({})));
  daemon.addOp('daemon.stop', (a) => (sync.stop(a), {}));
  daemon.addOp('daemon.list', () => sync.list());
  if (config !== null) {
    for (const args of startDaemonRequests(config.path, config.ruleLines)) {
      try {
        await sync.start(args);
      } catch (e) {
        log.error('sync daemon not started', { state: String(args['state']), error: (e as Error).message });
      }
    }
  }
  for (const args of handed) {
    const state = args['state'];
    if ((state !== 'master' && state !== 'backup') || sync.has(state)) continue;
    try {
      await sync.start(args);
      log.info('sync daemon carried over from the handing-over tsvsd', { state });
    } catch (e) {
      log.error('handed-over sync daemon not started', { state, error: (e as Error).message });
    }
  }
  return sync;
}
