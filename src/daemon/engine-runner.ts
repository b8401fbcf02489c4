// engine-runner: the second half of starting the packet engine inside tsvsd (the first is
// openEngine, open-engine.ts): startEngine attaches the connection state file (state-file.ts:
// attached and restored before the first frame), starts the Engine and registers the control ops
// that expose it (engine-ops.ts). A reload reconfigures what can change live (engine-reload.ts).

import { dirname, isAbsolute, join } from 'node:path';
import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import type { SyncHost } from './sync-host.ts';
import { DROP_NAMES } from '../lib/drops.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { EngineDataPlane, engineConnSource } from './engine-data-plane.ts';
import { Engine } from '../datapath/engine.ts';
import { installKernelFilter, ownsIpv6, type KernelFilter } from './kernel-filter.ts';
import { diffEngineConfig, refusedMessage } from './engine-reload.ts';
import { AfPacketIo } from '../io/af-packet.ts';
import { DEFAULT_SPIN_US } from '../io/af-packet-open.ts';
import { addVrrpStateOp, engineVrrpStart, engineVrrpTarget } from './vrrp-state.ts';
import { followVrrpFifo, type VrrpFifoReader } from './vrrp-fifo.ts';
import { defaultStateFile, openConnState, stateFile6 } from './state-file.ts';
import { restoreState } from './restore-state.ts';
import { CONN6_SPEC } from '../conn/conn-layout6.ts';
import { memory6Of, openConnState6, restoreState6, stateInfo6 } from './restore-state6.ts';
import { loadForeign, removeForeign } from './state-reshard.ts';
import { learnNeighbours, neighboursOf, type Handover } from './handover.ts';
import { loadNeighbours, neighSnapshotPath, snapshotNeighbours } from './neigh-snapshot.ts';
import { restoreForwarding, type OpenedEngine } from './open-engine.ts';
import { addEngineOps } from './engine-ops.ts';

/** How long a taking-over tsvsd waits for its predecessor's exit to release the state file. */
const HANDOVER_LOCK_WAIT_MS = 5000;

export interface RunningEngine {
  /** The engine on this thread; null when the data path runs in worker threads (engine-workers.ts). */
  readonly engine: Engine | null;
  /** A reloaded [engine]: applies what can change live, logs the keys that cannot. */
  reconfigure(next: EngineConfig): void;
  /** Resolves once the data path is down (its threads, if any, have exited). */
  stop(): void | Promise<void>;
  /**
   * Stops forwarding for a successor (handover.ts): the nft table and ip_forward stay as they
   * are, for the successor to keep; returns what it needs beside the state file.
   */
  handOver(): Omit<Handover, 'pid'> | Promise<Omit<Handover, 'pid'>>;
  /** Where the sync daemons run when the data path is in worker threads (workers-sync.ts). */
  readonly syncHost?: SyncHost;
  /** The sync daemons a predecessor handed over to a start that asked for the handover itself. */
  readonly handedSync?: readonly Record<string, unknown>[];
}

/**
 * Starts the engine on an opened backend: the state file attached (after waiting for a handing
 * over tsvsd to release it), the table restored, the handed-over neighbours learnt.
 */
export function startEngine(
  daemon: TsvsDaemon,
  cfg: EngineConfig,
  log: Logger,
  opened: OpenedEngine,
  handed: Handover | null = null,
): RunningEngine {
  const io = opened.io;
  // A predecessor knows ip_forward from before the first tsvsd turned it off ('' when it had no
  // engine, and so left it as it was).
  const oldForward = handed !== null && handed.ipForward !== '' ? handed.ipForward : opened.ipForward;
  const statePath = cfg.stateFile ?? defaultStateFile(daemon.socketPath);
  // The shards of a multi-worker run before this one (state-reshard.ts), read before this run's
  // file is created: they join this table.
  const shards = statePath === 'none' ? null : loadForeign(statePath, 1, log);
  const shards6 =
    statePath === 'none' || !ownsIpv6(cfg) ? null : loadForeign(stateFile6(statePath), 1, log, CONN6_SPEC);
  const lockWait = handed === null ? 0 : HANDOVER_LOCK_WAIT_MS;
  const state = statePath === 'none' ? null : openConnState(statePath, cfg.connCapacity, log, lockWait);
  const state6 = state === null ? null : openConnState6(stateFile6(statePath), cfg, log, lockWait);
  // A handed-over VRRP state decides whether the engine answers for the VIP from its first frame.
  const handedVrrp = handed?.vrrp ?? null;
  const vrrpStart = engineVrrpStart(cfg.vrrpState, handedVrrp);
  const engineCfg = vrrpStart === undefined ? cfg : { ...cfg, vrrpState: vrrpStart };
  const engine = new Engine(
    io,
    engineCfg,
    daemon.table,
    state === null ? { log } : { log, conn: { memory: state.memory }, ...memory6Of(state6) },
  );
  const foreign = state === null ? null : shards;
  const restored = restoreState(engine, daemon.table, state?.attach === true, foreign?.imports[0] ?? null, Date.now());
  if (restored !== null)
    log.info('connections carried over from the state file', { stateFile: statePath, ...restored });
  removeForeign(foreign?.stats ?? null);
  const foreign6 = state6 === null ? null : shards6;
  const restored6 = restoreState6(engine, daemon.table, state6, foreign6?.imports[0] ?? null, log, Date.now());
  removeForeign(foreign6?.stats ?? null);
  const neighbours = handed === null ? 0 : learnNeighbours(engine, handed.neighbours, Date.now());
  // After a kill or a stop (no predecessor to ask), the last snapshot's neighbours, as STALE.
  const neighPath = state === null ? null : neighSnapshotPath(statePath);
  const neighboursRestored =
    handed === null && neighPath !== null
      ? learnNeighbours(engine, loadNeighbours(neighPath, log), Date.now(), true)
      : 0;
  if (neighboursRestored > 0) log.info('neighbours restored from the snapshot, STALE', { count: neighboursRestored });
  const stateInfo = {
    path: state === null ? null : statePath,
    fresh: state?.fresh ?? '',
    restored,
    ...stateInfo6(state6, restored6),
    handedOverBy: handed?.pid ?? null,
    neighboursHandedOver: neighbours,
    neighboursRestored,
  };
  engine.start();
  const stopSnapshot = neighPath === null ? () => undefined : snapshotNeighbours(neighPath, engine, log);
  if (handed !== null) log.info('took over from the previous tsvsd: forwarding', { pid: handed.pid, neighbours });
  const ifnames = cfg.ports.map((p) => p.name);
  let filter: KernelFilter | null = null;
  // 'handover': the table is the successor's now, never removed from here.
  let stopped: 'no' | 'stop' | 'handover' = 'no';
  const setFilter = (f: KernelFilter | null): void => {
    if (stopped === 'stop') f?.remove();
    else if (stopped === 'no') filter = f;
  };
  if (cfg.kernelFilter !== false) void installKernelFilter(ifnames, log, ownsIpv6(cfg)).then(setFilter);
  let running = cfg;
  const dp = new EngineDataPlane(engineConnSource(engine), daemon.table.services());
  daemon.attachDataPlane(dp);
  daemon.table.onChange((c) => dp.tableChanged(c));
  const teardown = (): void => {
    stopSnapshot();
    dp.stop();
    engine.stop();
    filter?.remove();
    restoreForwarding(oldForward);
  };
  const vrrp = addVrrpStateOp(daemon, engineVrrpTarget(engine), log, cfg.vrrpState, handedVrrp);
  let fifo: VrrpFifoReader | null = null;
  try {
    const f = cfg.vrrpNotifyFifo;
    if (f !== undefined) fifo = followVrrpFifo(isAbsolute(f) ? f : join(dirname(daemon.socketPath), f), vrrp, log);
  } catch (e) {
    teardown();
    throw e;
  }
  addEngineOps(daemon, engine, () => ({
    ...engineStats(engine),
    vrrp: vrrp.info().state,
    vrrpFifo: fifo === null ? null : { path: fifo.path, ...fifo.stats },
    stateFile: stateInfo,
  }));
  log.info('packet engine running', { backend: io.name, ports: io.ports.map((p) => p.name).join(',') });
  if (!engine.portWatch.supported && io.name === 'pcap') {
    // The cap binding asserts on a poll error (binding.cc cb_packets: status == 0), which an
    // interface that goes away raises (sk_err ENODEV): the process aborts before it can re-attach.
    log.warn(
      'the pcap backend does not survive an interface that goes away: tsvsd then aborts in the libpcap binding ' +
        '(under systemd, Restart=on-failure starts it again, which succeeds once the interface exists); ' +
        'the native backend keeps running and re-attaches',
    );
  }
  return {
    engine,
    reconfigure(next) {
      const diff = diffEngineConfig(running, next);
      for (const f of diff.refused) log.warn(refusedMessage(f));
      if (diff.live.includes('sloppyTcp')) {
        const s = next.sloppyTcp ?? 'off';
        engine.conns.setup.sloppyTcp = s === 'on';
        engine.conns.setup.adoptConsistent = s === 'consistent';
        running = { ...running, sloppyTcp: s };
        log.info('reload: sloppy-tcp changed', { value: s });
      }
      if (diff.live.includes('busyPollUs')) {
        const us = next.busyPollUs ?? DEFAULT_SPIN_US;
        if (io instanceof AfPacketIo) {
          io.setSpinUs(us);
          log.info('reload: [engine] busy-poll-us applied', { us });
        } else log.warn(`reload: [engine] busy-poll-us has no effect on the ${io.name} backend`);
        running = { ...running, busyPollUs: us };
      }
      if (!diff.live.includes('kernelFilter')) return;
      const on = next.kernelFilter !== false;
      if (on && filter === null) {
        void installKernelFilter(ifnames, log, ownsIpv6(cfg)).then((f) => {
          setFilter(f);
          if (f !== null) log.info('reload: kernel filter installed');
        });
      } else if (!on && filter !== null) {
        filter.remove();
        filter = null;
        log.info('reload: kernel filter removed');
      }
      running = { ...running, kernelFilter: on };
    },
    stop() {
      stopped = 'stop';
      fifo?.close();
      teardown();
    },
    handOver() {
      stopped = 'handover';
      fifo?.close();
      stopSnapshot();
      dp.stop();
      engine.stop();
      return { ipForward: oldForward, neighbours: neighboursOf(engine), vrrp: vrrp.handed() };
    },
  };
}

export function engineStats(engine: Engine): Record<string, unknown> {
  const p = engine.pipeline;
  const setup = engine.conns.setup;
  const drops: Record<string, number> = {};
  engine.drops.counts.forEach((n, i) => {
    if (i > 0 && n > 0) drops[DROP_NAMES[i] ?? String(i)] = n;
  });
  return {
    backend: engine.io.name,
    rxFrames: p.rxFrames,
    txFrames: engine.xmit.txFrames,
    forwardedIn: p.forwardedIn,
    forwardedOut: p.forwardedOut,
    local: p.local,
    passed: p.passed,
    gsoFrames: p.gsoFrames,
    fragsRecorded: p.frags.recorded + (p.v6?.frags.recorded ?? 0),
    fragsMatched: p.frags.matched + (p.v6?.frags.matched ?? 0),
    drops,
    connections: engine.conns.count,
    connections6: engine.v6?.cm.conns.count ?? 0,
    connCapacity: engine.conns.table.capacity,
    sloppyTcp: setup.sloppyTcp ? 'on' : setup.adoptConsistent ? 'consistent' : 'off',
    adopted: setup.adopted,
    defense: engine.defenseStats(),
    synproxy: p.synproxy.stats(p.v6?.synproxy ?? null),
    batchSizes: Array.from(engine.batchSizes),
    neighbours: engine.xmit.neigh.list(),
    neighbours6: engine.v6?.x6.list() ?? [],
    arpRequests: engine.xmit.arpRequests,
    nsRequests: engine.v6?.x6.nsRequests ?? 0,
    neighWaits: engine.xmit.neighWaits,
    interfaces: engine.portWatch.links,
    io: (engine.io as { stats?: () => unknown }).stats?.() ?? null,
    loop: (engine.io as { loopStats?: () => unknown }).loopStats?.() ?? null,
  };
}
