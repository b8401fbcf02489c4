// engine-runner: starts the packet engine inside tsvsd — capabilities, the director's kernel
// settings (restored on stop), the packet backend (native AF_PACKET, else libpcap), the Engine,
// the connection state file (state-file.ts: attached and restored before the first frame), and
// the control ops that expose it (engine.stats, trace). A reload reconfigures what can change
// live (engine-reload.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import type { TsvsDaemon } from './daemon.ts';
import type { Logger } from '../lib/logger.ts';
import { DROP_NAMES } from '../lib/drops.ts';
import { TsvsError } from '../lib/errors.ts';
import { assertEngineCaps } from './caps.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { EngineDataPlane, engineConnSource } from './engine-data-plane.ts';
import { Engine } from '../datapath/engine.ts';
import { installKernelFilter, type KernelFilter } from './kernel-filter.ts';
import { diffEngineConfig, refusedMessage } from './engine-reload.ts';
import { AfPacketIo, DEFAULT_SPIN_US } from '../io/af-packet.ts';
import type { PacketIo } from '../datapath/packet-io.ts';
import { PcapIo } from '../io/pcap-io.ts';
import { addVrrpStateOp } from './vrrp-state.ts';
import { defaultStateFile, openConnState } from './state-file.ts';
import { restoreConns, type RestoreStats } from '../conn/conn-restore.ts';
import { serviceKey } from '../model/rule-spec.ts';
import { AF_INET } from '../model/dest.ts';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

export interface RunningEngine {
  /** The engine on this thread; null when the data path runs in worker threads (engine-workers.ts). */
  readonly engine: Engine | null;
  /** A reloaded [engine]: applies what can change live, logs the keys that cannot. */
  reconfigure(next: EngineConfig): void;
  /** Resolves once the data path is down (its threads, if any, have exited). */
  stop(): void | Promise<void>;
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
    });
  } catch (e) {
    if (backend === 'native') throw e;
    log.warn('native AF_PACKET backend unavailable; falling back to libpcap', { error: (e as Error).message });
    return PcapIo.open(names);
  }
}

export function startEngine(daemon: TsvsDaemon, cfg: EngineConfig, log: Logger, backend = 'auto'): RunningEngine {
  assertEngineCaps();
  const restoreForwarding = forwardingOff(log);
  let io: PacketIo;
  try {
    io = openIo(cfg, log, backend);
  } catch (e) {
    restoreForwarding();
    throw e;
  }
  const statePath = cfg.stateFile ?? defaultStateFile(daemon.socketPath);
  const state = statePath === 'none' ? null : openConnState(statePath, cfg.connCapacity, log);
  const engine = new Engine(io, cfg, daemon.table, state === null ? { log } : { log, conn: { memory: state.memory } });
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
  const stateInfo = { path: state === null ? null : statePath, fresh: state?.fresh ?? '', restored };
  engine.start();
  const ifnames = cfg.ports.map((p) => p.name);
  let filter: KernelFilter | null = cfg.kernelFilter === false ? null : installKernelFilter(ifnames, log);
  let running = cfg;
  const dp = new EngineDataPlane(engineConnSource(engine), daemon.table.services());
  daemon.attachDataPlane(dp);
  daemon.table.onChange((c) => dp.tableChanged(c));
  const vrrp = addVrrpStateOp(daemon, engine, log, cfg.vrrpState);
  daemon.addOp('engine.stats', () => ({ ...engineStats(engine), vrrp: vrrp.info().state, stateFile: stateInfo }));
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
        filter = installKernelFilter(ifnames, log);
        if (filter !== null) log.info('reload: kernel filter installed');
      } else if (!on && filter !== null) {
        filter.remove();
        filter = null;
        log.info('reload: kernel filter removed');
      }
      running = { ...running, kernelFilter: on };
    },
    stop() {
      dp.stop();
      engine.stop();
      filter?.remove();
      restoreForwarding();
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
    interfaces: engine.portWatch.links,
    io: (engine.io as { stats?: () => unknown }).stats?.() ?? null,
    loop: (engine.io as { loopStats?: () => unknown }).loopStats?.() ?? null,
  };
}
