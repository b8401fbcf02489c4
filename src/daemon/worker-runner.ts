// worker-runner: starts the packet engine as data-path threads inside tsvsd (`[engine] workers N`,
// N > 1; engine-workers.ts): capabilities, the director's kernel forwarding (off while it runs),
// the kernel filter, the workers with their shards of the state file (state-reshard.ts), and the
// control ops over them. engine.stats merges the workers; the ops that reach into one engine
// (trace, capture, the VRRP state) and --takeover need `workers 1` and say so.

import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import { TsvsError } from '../lib/errors.ts';
import { assertEngineCaps } from './caps.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { installKernelFilter, ownsIpv6, type KernelFilter } from './kernel-filter.ts';
import { diffEngineConfig, refusedMessage } from './engine-reload.ts';
import { EngineWorkers } from './engine-workers.ts';
import { forwardingOff, type RunningEngine } from './engine-runner.ts';
import { defaultStateFile } from './state-file.ts';
import { loadForeign, removeForeign, shardPath } from './state-reshard.ts';

/** Ops of a single engine that a multi-worker engine does not offer. */
const SINGLE_ENGINE_OPS = ['trace', 'capture', 'vrrp.state'] as const;

export async function startWorkerEngine(
  daemon: TsvsDaemon,
  cfg: EngineConfig,
  log: Logger,
  backend: string,
): Promise<RunningEngine> {
  const count = cfg.workers ?? 1;
  if (backend === 'pcap')
    throw new TsvsError('EWORKERS', `[engine] workers ${count} needs the native AF_PACKET backend, not pcap`);
  assertEngineCaps();
  const restoreForwarding = forwardingOff(log);
  const workers = new EngineWorkers(daemon, cfg, log, count);
  // One state file per shard; the files of another worker count dealt to these workers (state-reshard.ts).
  const statePath = cfg.stateFile ?? defaultStateFile(daemon.socketPath);
  const foreign = statePath === 'none' ? null : loadForeign(statePath, count, log);
  workers.shardState = (i) => ({
    path: statePath === 'none' ? null : shardPath(statePath, i, count),
    imported: foreign?.imports[i] ?? null,
  });
  try {
    await workers.start();
  } catch (e) {
    await workers.stop();
    restoreForwarding();
    throw e;
  }
  // Restored into the shards: the old files go, and a restart after a crash imports nothing again.
  removeForeign(foreign?.stats ?? null);
  workers.shardState = (i) => ({ path: statePath === 'none' ? null : shardPath(statePath, i, count), imported: null });
  const ifnames = cfg.ports.map((p) => p.name);
  let filter: KernelFilter | null = null;
  let stopped = false;
  if (cfg.kernelFilter !== false)
    void installKernelFilter(ifnames, log, ownsIpv6(cfg)).then((f) => {
      if (stopped) f?.remove();
      else filter = f;
    });
  daemon.attachDataPlane(workers.dp);
  daemon.addOp('engine.stats', () => {
    const s = workers.stats();
    return { ...s, stateFile: { ...(s['stateFile'] as object), reshard: foreign?.stats ?? null } };
  });
  for (const op of SINGLE_ENGINE_OPS)
    daemon.addOp(op, () => {
      throw new TsvsError('EWORKERS', `${op} needs [engine] workers 1 (this engine runs ${count} worker threads)`);
    });
  log.info('packet engine running', { backend: 'af_packet', ports: ifnames.join(','), workers: count });
  return {
    engine: null,
    reconfigure(next) {
      for (const f of diffEngineConfig(cfg, next).refused) log.warn(refusedMessage(f));
      for (const f of diffEngineConfig(cfg, next).live)
        log.warn(`reload: [engine] ${f} changes at the next start only with workers ${count}`);
    },
    handOver() {
      throw new TsvsError('EWORKERS', `--takeover needs [engine] workers 1 (this engine runs ${count} worker threads)`);
    },
    async stop() {
      stopped = true;
      await workers.stop();
      filter?.remove();
      restoreForwarding();
    },
  };
}
