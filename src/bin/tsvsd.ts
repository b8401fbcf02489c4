#!/usr/bin/env node
// tsvsd: the tsvs daemon (control-plane half: src/daemon/daemon.ts). Flags, logging, signals:
// SIGTERM/SIGINT stop cleanly (socket removed, pending saves written), SIGHUP (or tsvsadm
// --reload) reloads the config, the rules, the live [engine] keys and the health file without
// dropping state. The packet engine plugs in with daemon.attachDataPlane().

import { TsvsDaemon } from '../daemon/daemon.ts';
import { Logger, stderrIsJournal } from '../lib/logger.ts';
import { TsvsError } from '../lib/errors.ts';
import { startEngine, type RunningEngine } from '../daemon/engine-runner.ts';
import { openEngine } from '../daemon/open-engine.ts';
import { addHandoverOp, requestHandover } from '../daemon/handover.ts';
import { removePidFile, writePidFile } from '../daemon/pid-file.ts';
import { startWorkerEngine } from '../daemon/worker-runner.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { HealthWiring } from '../daemon/health-wiring.ts';
import { readConfig } from '../daemon/config-file.ts';
import { wireSync, type SyncDaemons } from '../daemon/sync-daemon.ts';
import { engineSyncHost } from '../daemon/sync-host.ts';
import { metricsSnapshot } from '../daemon/metrics-provider.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { diffEngineConfig, refusedMessage } from '../daemon/engine-reload.ts';
import { parseListenAddress, parseTsvsdFlags, systemdCommand } from './tsvsd-flags.ts';

const NO_ENGINE_OPS = ['engine.stats', 'trace', 'capture'] as const;

/** How long a taking-over tsvsd waits for its predecessor to stop serving the control socket. */
const HANDOVER_LISTEN_WAIT_MS = 10_000;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--print-systemd-unit' || argv[0] === '--install-systemd') systemdCommand(argv);
  const flags = parseTsvsdFlags(argv);
  const log = new Logger({
    level: flags.logLevel ?? 'info',
    format: flags.logFormat ?? 'logfmt',
    journal: stderrIsJournal(),
  });
  let engine: RunningEngine | null = null;
  let startEngineCfg: EngineConfig | null = null;
  // A reloaded [engine]: the running engine applies what it can; without one, every change waits
  // for the next start.
  const onEngineConfig = (cfg: EngineConfig): void => {
    if (engine !== null) engine.reconfigure(cfg);
    else if (startEngineCfg !== null)
      for (const f of diffEngineConfig(startEngineCfg, cfg).refused) log.warn(refusedMessage(f));
  };
  const envSocket = process.env['TSVS_SOCKET'];
  const socketPath = flags.socket ?? (envSocket !== undefined && envSocket !== '' ? envSocket : undefined);
  const daemon = new TsvsDaemon({
    logger: log,
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.rules !== undefined ? { rulesPath: flags.rules } : {}),
    ...(socketPath !== undefined ? { socketPath } : {}),
    ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
    onEngineConfig,
  });
  // A normal start serves the socket first (it fails while another tsvsd runs) and then starts
  // the engine. --takeover (handover.ts) prepares everything, opens the rings, has the running
  // tsvsd stop forwarding, starts the engine and only then takes the socket over.
  const takeover = flags.takeover === true;
  // SIGHUP's default action ends the process: the handler goes in before the socket is served,
  // and a SIGHUP that comes while the engine, sync, health and metrics start waits for them.
  let started = false;
  let hupWaiting = false;
  process.on('SIGHUP', () => {
    if (!started) {
      hupWaiting = true;
      return;
    }
    log.info('SIGHUP: reloading the config');
    void daemon.reload();
  });
  try {
    await daemon.prepare();
    daemon.startGate.hold();
    if (!takeover) await daemon.listen();
  } catch (e) {
    log.error('tsvsd cannot start', { error: (e as Error).message });
    process.exit(1);
  }
  const engineCfg = daemon.engineConfig;
  const wantEngine = flags.backend !== 'none' && engineCfg !== null && engineCfg.ports.length > 0;
  const workers = engineCfg?.workers ?? 1;
  /** The sync daemons a predecessor ran (--takeover): started again after the config's. */
  let handedSync: readonly Record<string, unknown>[] = [];
  try {
    if (wantEngine && workers > 1) {
      engine = await startWorkerEngine(daemon, engineCfg, log, flags.backend ?? 'auto', takeover);
      if (takeover) await daemon.listen(HANDOVER_LISTEN_WAIT_MS);
    } else {
      const opened = wantEngine ? openEngine(engineCfg, log, flags.backend ?? 'auto') : null;
      const handed = takeover ? await requestHandover(daemon.socketPath, log) : null;
      handedSync = handed?.sync ?? [];
      if (opened !== null) engine = startEngine(daemon, engineCfg!, log, opened, handed);
      if (takeover) await daemon.listen(HANDOVER_LISTEN_WAIT_MS);
    }
  } catch (e) {
    log.error(engine === null ? 'tsvsd cannot start its packet engine' : 'tsvsd cannot take over the control socket', {
      error: (e as Error).message,
    });
    await engine?.stop();
    await daemon.stop();
    process.exit(1);
  }
  if (!wantEngine) {
    const why = flags.backend === 'none' ? 'tsvsd runs with --backend none' : 'no [engine] interface in the config';
    log.info(`no packet engine (${why}): control plane only`);
    for (const op of NO_ENGINE_OPS)
      daemon.addOp(op, () => {
        throw new TsvsError('ENOENGINE', `no packet engine (${why})`);
      });
  }
  startEngineCfg = engineCfg;
  let sync: SyncDaemons | null = null;
  if (engine !== null) {
    try {
      const host = engine.engine !== null ? engineSyncHost(engine.engine, daemon.table, log) : engine.syncHost!;
      sync = await wireSync(
        daemon,
        host,
        log,
        flags.config !== undefined ? await readConfig(flags.config) : null,
        engine.handedSync ?? handedSync,
      );
    } catch (e) {
      log.error('tsvsd cannot start its sync daemons', { error: (e as Error).message });
      await engine.stop();
      await daemon.stop();
      process.exit(1);
    }
  }
  let health: HealthWiring | null = null;
  if (flags.health !== undefined) {
    try {
      health = new HealthWiring(daemon.table, log, flags.health);
      health.start();
      const h = health;
      daemon.addOp('health', () => h.states());
      daemon.addReloadHook({ prepare: () => h.prepareReload() });
      log.info('health checks running', { file: flags.health, virtualServers: h.cfg.virtualServers.length });
    } catch (e) {
      log.error('tsvsd cannot start its health checks', { error: (e as Error).message });
      await engine?.stop();
      await daemon.stop();
      process.exit(1);
    }
  }

  let metrics: MetricsServer | null = null;
  let runtime: RuntimeMetrics | null = null;
  if (flags.metrics !== undefined) {
    const { host, port } = parseListenAddress(flags.metrics)!;
    runtime = new RuntimeMetrics();
    runtime.start();
    const rt = runtime;
    try {
      metrics = await startMetricsServer(host, port, () =>
        metricsSnapshot(daemon.table, daemon.dataPlane(), engine?.engine ?? null, health, rt),
      );
    } catch (e) {
      log.error('tsvsd cannot start: cannot serve metrics', {
        address: flags.metrics,
        error: (e as Error).message,
      });
      runtime.stop();
      await engine?.stop();
      await health?.stop();
      await daemon.stop();
      process.exit(1);
    }
    if (host === '0.0.0.0' || host === '::')
      log.warn('metrics are served on every interface; anyone who reaches the port reads them', {
        address: flags.metrics,
        hint: 'bind 127.0.0.1 unless the metrics are scraped from another host',
      });
    const shown = metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host;
    log.info('metrics served', { url: `http://${shown}:${metrics.port}/metrics` });
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    log.info('stopping', { signal });
    sync?.stopAll();
    const engineDown = Promise.resolve(engine?.stop());
    void health?.stop();
    void metrics?.close();
    runtime?.stop();
    Promise.all([engineDown, daemon.stop()]).then(
      () => {
        if (flags.pidFile !== undefined) removePidFile(flags.pidFile);
        process.exit(0);
      },
      (e: unknown) => {
        log.error('unclean stop', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  addHandoverOp(
    daemon,
    log,
    async () => {
      // First, as it may refuse: a refused handover leaves this tsvsd running.
      const h = (await engine?.handOver()) ?? { ipForward: '', neighbours: [] };
      stopping = true;
      const syncDaemons = sync?.configs() ?? [];
      sync?.stopAll();
      void health?.stop();
      void metrics?.close();
      runtime?.stop();
      return syncDaemons.length > 0 ? { ...h, sync: syncDaemons } : h;
    },
    () => {
      daemon.stop(true).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    },
  );
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  started = true;
  daemon.startGate.open();
  if (flags.pidFile !== undefined) writePidFile(flags.pidFile, log);
  if (hupWaiting) {
    log.info('SIGHUP during the start: reloading the config now');
    void daemon.reload();
  }
}

void main();
