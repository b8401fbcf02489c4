// worker-runner: starts the packet engine as data-path threads inside tsvsd (`[engine] workers N`,
// N > 1; engine-workers.ts): capabilities, the director's kernel forwarding (off while it runs),
// the kernel filter, the workers with their shards of the state file (state-reshard.ts), and the
// control ops over them. engine.stats merges the workers; trace, capture and the VRRP state ask
// every worker (workers-ops.ts).
//
// --takeover (handover.ts) as with one engine: the workers open their rings and join their fanout
// groups (frames queue there), the running tsvsd hands over (its engine or workers stopped first),
// and only then are the old files read and the shards attached (a shard file of the same count
// waits for the predecessor's exit to release its lock), the handed-over neighbours learnt, and
// the workers started. Handing over from here stops the workers before the reply.

import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import { TsvsError } from '../lib/errors.ts';
import { assertEngineCaps } from './caps.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { installKernelFilter, ownsIpv6, type KernelFilter } from './kernel-filter.ts';
import { diffEngineConfig, refusedMessage } from './engine-reload.ts';
import { EngineWorkers } from './engine-workers.ts';
import type { RunningEngine } from './engine-runner.ts';
import { restoreForwarding, turnForwardingOff } from './open-engine.ts';
import { defaultStateFile, stateFile6 } from './state-file.ts';
import { CONN6_SPEC } from '../conn/conn-layout6.ts';
import { loadForeign, removeForeign, shardPath } from './state-reshard.ts';
import { requestHandover, type Handover } from './handover.ts';
import { addWorkerOps, type WorkerOps } from './workers-ops.ts';
import { WorkersSyncHost } from './workers-sync.ts';

export async function startWorkerEngine(
  daemon: TsvsDaemon,
  cfg: EngineConfig,
  log: Logger,
  backend: string,
  takeover = false,
): Promise<RunningEngine> {
  const count = cfg.workers ?? 1;
  if (backend === 'pcap')
    throw new TsvsError('EWORKERS', `[engine] workers ${count} needs the native AF_PACKET backend, not pcap`);
  assertEngineCaps();
  const was = turnForwardingOff(log);
  const workers = new EngineWorkers(daemon, cfg, log, count);
  const statePath = cfg.stateFile ?? defaultStateFile(daemon.socketPath);
  const shard = (i: number): string | null => (statePath === 'none' ? null : shardPath(statePath, i, count));
  const shard6 = (i: number): string | null =>
    statePath === 'none' ? null : shardPath(stateFile6(statePath), i, count);
  let handed: Handover | null = null;
  let foreign: ReturnType<typeof loadForeign> = null;
  let foreign6: ReturnType<typeof loadForeign> = null;
  try {
    await workers.open();
    handed = takeover ? await requestHandover(daemon.socketPath, log) : null;
    // One state file per shard; the files of another worker count dealt to these workers.
    foreign = statePath === 'none' ? null : loadForeign(statePath, count, log);
    foreign6 =
      statePath === 'none' || !ownsIpv6(cfg) ? null : loadForeign(stateFile6(statePath), count, log, CONN6_SPEC);
    workers.shardState = (i) => ({
      path: shard(i),
      path6: shard6(i),
      imported: foreign?.imports[i] ?? null,
      imported6: foreign6?.imports[i] ?? null,
    });
    await workers.run(handed?.neighbours ?? []);
  } catch (e) {
    await workers.stop();
    restoreForwarding(handed !== null && handed.ipForward !== '' ? handed.ipForward : was);
    throw e;
  }
  // Restored into the shards: the old files go, and a restart after a crash imports nothing again.
  removeForeign(foreign?.stats ?? null);
  removeForeign(foreign6?.stats ?? null);
  workers.shardState = (i) => ({ path: shard(i), path6: shard6(i), imported: null, imported6: null });
  // A predecessor knows ip_forward from before the first tsvsd turned it off.
  const oldForward = handed !== null && handed.ipForward !== '' ? handed.ipForward : was;
  if (handed !== null)
    log.info('took over from the previous tsvsd: forwarding', {
      pid: handed.pid,
      neighbours: handed.neighbours.length,
      workers: count,
    });
  const ifnames = cfg.ports.map((p) => p.name);
  let filter: KernelFilter | null = null;
  // 'handover': the table is the successor's now, never removed from here.
  let stopped: 'no' | 'stop' | 'handover' = 'no';
  if (cfg.kernelFilter !== false)
    void installKernelFilter(ifnames, log, ownsIpv6(cfg)).then((f) => {
      if (stopped === 'stop') f?.remove();
      else if (stopped === 'no') filter = f;
    });
  daemon.attachDataPlane(workers.dp);
  const handedOverBy = handed?.pid ?? null;
  let ops: WorkerOps;
  try {
    ops = addWorkerOps(daemon, () => workers.threadList, cfg, log, handed?.vrrp ?? null);
  } catch (e) {
    stopped = 'stop';
    await workers.stop();
    restoreForwarding(oldForward);
    throw e;
  }
  ops.resync();
  const syncHost = new WorkersSyncHost(() => workers.threadList, log);
  workers.onRestarted = () => {
    ops.resync();
    syncHost.restarted();
  };
  const { vrrp, fifo } = ops;
  daemon.addOp('engine.stats', () => {
    const s = workers.stats();
    return {
      ...s,
      vrrp: vrrp.info().state,
      vrrpFifo: fifo === null ? null : { path: fifo.path, ...fifo.stats },
      stateFile: {
        ...(s['stateFile'] as object),
        reshard: foreign?.stats ?? null,
        reshard6: foreign6?.stats ?? null,
        handedOverBy,
      },
    };
  });
  log.info('packet engine running', { backend: 'af_packet', ports: ifnames.join(','), workers: count });
  return {
    engine: null,
    syncHost,
    handedSync: handed?.sync ?? [],
    reconfigure(next) {
      for (const f of diffEngineConfig(cfg, next).refused) log.warn(refusedMessage(f));
      for (const f of diffEngineConfig(cfg, next).live)
        log.warn(`reload: [engine] ${f} changes at the next start only with workers ${count}`);
    },
    async handOver() {
      stopped = 'handover';
      fifo?.close();
      const neighbours = workers.neighbours();
      await workers.stop();
      return { ipForward: oldForward, neighbours, vrrp: vrrp.handed() };
    },
    async stop() {
      stopped = 'stop';
      fifo?.close();
      await workers.stop();
      filter?.remove();
      restoreForwarding(oldForward);
    },
  };
}
