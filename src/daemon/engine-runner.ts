// engine-runner: starts the packet engine inside tsvsd in two halves — openEngine: capabilities,
// the director's kernel settings (restored on stop), the packet backend (native AF_PACKET, else
// libpcap); startEngine: the connection state file (state-file.ts: attached and restored before
// the first frame), the Engine, and the control ops that expose it (engine.stats, trace). A
// successor taking over (handover.ts) opens its backend before the predecessor stops. A reload
// reconfigures what can change live (engine-reload.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import { DROP_NAMES } from '../lib/drops.ts';
import { TsvsError } from '../lib/errors.ts';
import { assertEngineCaps } from './caps.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { EngineDataPlane, engineConnSource } from './engine-data-plane.ts';
import { Engine } from '../datapath/engine.ts';
import { installKernelFilter, ownsIpv6, type KernelFilter } from './kernel-filter.ts';
import { diffEngineConfig, refusedMessage } from './engine-reload.ts';
import { AfPacketIo, DEFAULT_SPIN_US } from '../io/af-packet.ts';
import type { PacketIo } from '../datapath/packet-io.ts';
import { PcapIo } from '../io/pcap-io.ts';
import { addVrrpStateOp, engineVrrpStart } from './vrrp-state.ts';
import { followVrrpFifo, type VrrpFifoReader } from './vrrp-fifo.ts';
import { defaultStateFile, openConnState } from './state-file.ts';
import { restoreConns, type RestoreStats } from '../conn/conn-restore.ts';
import { serviceKey } from '../model/rule-spec.ts';
import { AF_INET } from '../model/dest.ts';
import { learnNeighbours, neighboursOf, type Handover } from './handover.ts';
import { loadNeighbours, neighSnapshotPath, snapshotNeighbours } from './neigh-snapshot.ts';

/** How long a taking-over tsvsd waits for its predecessor's exit to release the state file. */
const HANDOVER_LOCK_WAIT_MS = 5000;

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

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
  handOver(): Omit<Handover, 'pid'>;
}

/** The first half of a start: the director's kernel settings and the packet backend, opened. */
export interface OpenedEngine {
  readonly io: PacketIo;
  /** ip_forward before tsvsd turned it off ('0' when it was off). */
  readonly ipForward: string;
}

/**
 * The director's kernel must not forward what tsvs forwards (it drops its copy silently when it
 * neither owns the address nor forwards): forwarding goes off in this namespace; the returned
 * function restores it.
 */
export function forwardingOff(log: Logger): () => void {
  const old = readFileSync(IP_FORWARD, 'utf8').trim();
  if (old === '0') return () => undefined;
  writeFileSync(IP_FORWARD, '0\n');
  log.info('kernel forwarding turned off in this namespace while tsvsd runs', { was: old });
  return () => writeFileSync(IP_FORWARD, `${old}\n`);
}

function openIo(cfg: EngineConfig, log: Logger, backend: string): PacketIo {
  const names = cfg.ports.map((p) => p.name);
  if (backend === 'pcap') return PcapIo.open(names);
  try {
    return AfPacketIo.open(names, {
      ...(cfg.busyPollUs !== undefined ? { spinUs: cfg.busyPollUs } : {}),
      ...(cfg.pollIntervalUs !== undefined ? { pollIntervalUs: cfg.pollIntervalUs } : {}),
      ...(cfg.jumboSlots !== undefined ? { jumboSlots: cfg.jumboSlots } : {}),
    });
  } catch (e) {
    if (backend === 'native') throw e;
    log.warn('native AF_PACKET backend unavailable; falling back to libpcap', { error: (e as Error).message });
    return PcapIo.open(names);
  }
}

/** Capabilities, ip_forward off, the packet backend open: frames queue in it until startEngine. */
export function openEngine(cfg: EngineConfig, log: Logger, backend = 'auto'): OpenedEngine {
  assertEngineCaps();
  // The director's kernel must not forward what tsvs forwards (it drops its copy silently when it
  // neither owns the address nor forwards). Restored on stop.
  const ipForward = readFileSync(IP_FORWARD, 'utf8').trim();
  if (ipForward !== '0') {
    writeFileSync(IP_FORWARD, '0\n');
    log.info('kernel forwarding turned off in this namespace while tsvsd runs', { was: ipForward });
  }
  try {
    return { io: openIo(cfg, log, backend), ipForward };
  } catch (e) {
    if (ipForward !== '0') writeFileSync(IP_FORWARD, `${ipForward}\n`);
    throw e;
  }
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
  const state =
    statePath === 'none'
      ? null
      : openConnState(statePath, cfg.connCapacity, log, handed === null ? 0 : HANDOVER_LOCK_WAIT_MS);
  // A handed-over VRRP state decides whether the engine answers for the VIP from its first frame.
  const handedVrrp = handed?.vrrp ?? null;
  const vrrpStart = engineVrrpStart(cfg.vrrpState, handedVrrp);
  const engineCfg = vrrpStart === undefined ? cfg : { ...cfg, vrrpState: vrrpStart };
  const engine = new Engine(
    io,
    engineCfg,
    daemon.table,
    state === null ? { log } : { log, conn: { memory: state.memory } },
  );
  let restored: RestoreStats | null = null;
  if (state?.attach === true) {
    const table = daemon.table;
    restored = restoreConns(
      engine.conns,
      (proto, addr, port, fwmark) => table.find(serviceKey(AF_INET, proto, addr, port, fwmark)),
      Date.now(),
    );
    log.info('connections carried over from the state file', { stateFile: statePath, ...restored });
  }
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
    if (oldForward !== '0') writeFileSync(IP_FORWARD, `${oldForward}\n`);
  };
  const vrrp = addVrrpStateOp(daemon, engine, log, cfg.vrrpState, handedVrrp);
  let fifo: VrrpFifoReader | null = null;
  try {
    const f = cfg.vrrpNotifyFifo;
    if (f !== undefined) fifo = followVrrpFifo(isAbsolute(f) ? f : join(dirname(daemon.socketPath), f), vrrp, log);
  } catch (e) {
    teardown();
    throw e;
  }
  daemon.addOp('engine.stats', () => ({
    ...engineStats(engine),
    vrrp: vrrp.info().state,
    vrrpFifo: fifo === null ? null : { path: fifo.path, ...fifo.stats },
    stateFile: stateInfo,
  }));
  daemon.addOp('trace', (args) => {
    if (typeof args['enable'] === 'boolean') engine.trace.enabled = args['enable'];
    const cursor = typeof args['cursor'] === 'number' ? args['cursor'] : engine.trace.head;
    return { head: engine.trace.head, enabled: engine.trace.enabled, events: engine.trace.readSince(cursor, 1000) };
  });
  daemon.addOp('capture', (args) => {
    const prefix = typeof args['prefix'] === 'string' ? args['prefix'] : '';
    if (!prefix.startsWith('/')) throw new TsvsError('EBADREQ', 'capture needs an absolute file prefix, e.g. /tmp/lvs');
    const seconds = typeof args['seconds'] === 'number' && args['seconds'] > 0 ? Math.min(args['seconds'], 3600) : 10;
    const frames = typeof args['frames'] === 'number' && args['frames'] > 0 ? args['frames'] : 100_000;
    const c = engine.startCapture(prefix, seconds, frames);
    return { files: c.files, seconds, frames };
  });
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
    drops,
    connections: engine.conns.count,
    connCapacity: engine.conns.table.capacity,
    sloppyTcp: setup.sloppyTcp ? 'on' : setup.adoptConsistent ? 'consistent' : 'off',
    adopted: setup.adopted,
    defense: engine.defenseStats(),
    synproxy: p.synproxy.stats(),
    batchSizes: Array.from(engine.batchSizes),
    neighbours: engine.xmit.neigh.list(),
    arpRequests: engine.xmit.arpRequests,
    neighWaits: engine.xmit.neighWaits,
    interfaces: engine.portWatch.links,
    io: (engine.io as { stats?: () => unknown }).stats?.() ?? null,
    loop: (engine.io as { loopStats?: () => unknown }).loopStats?.() ?? null,
  };
}
