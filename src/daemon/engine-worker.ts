// engine-worker: one data-path thread of tsvsd with `[engine] workers N` above 1 (engine-workers.ts
// starts them). It owns what the single engine owns, for its share of the flows: AF_PACKET rings
// joined to one PACKET_FANOUT group per interface as member `index` (src/io/fanout-program.ts picks
// the member from the client side of each frame), a connection table shard, the full-NAT local
// ports p % workers == index, its own copy of the service table, and its shard of the connection
// state file (state-reshard.ts), restored before its first frame.
//
// Rule sets: the main thread sends complete, versioned sets; this thread reconciles its table to
// one in a single message handler (reconcile.ts: unchanged services and real servers keep their
// objects, connections and counters). The native loop calls JS once per batch from this thread's
// event loop and a message runs in a turn of its own, so every batch (and every connection
// scheduled in it) sees one whole rule set, the old or the new, never part of a change.

import { readlinkSync } from 'node:fs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { AfPacketIo } from '../io/af-packet.ts';
import { Engine } from '../datapath/engine.ts';
import { ServiceTable } from '../model/service-table.ts';
import { findScheduler } from '../sched/registry.ts';
import { planReconcile, applySteps, type DesiredRules } from './reconcile.ts';
import { engineStats } from './engine-runner.ts';
import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { engineConnSource } from './engine-data-plane.ts';
import { openConnState } from './state-file.ts';
import { restoreState } from './restore-state.ts';
import { memory6Of, openConnState6, restoreState6, stateInfo6 } from './restore-state6.ts';
import { learnNeighbours } from './handover.ts';
import { Logger } from '../lib/logger.ts';
import { runWorkerOp } from './worker-ops.ts';
import { WorkerSync } from './worker-sync.ts';
import {
  REPORT_CONNS_MAX,
  type CounterRow,
  type FromWorker,
  type RuleSet,
  type ServiceCounters,
  type ToWorker,
  type WorkerInit,
} from './worker-messages.ts';

const REPORT_EVERY_MS = 1000;

const init = workerData as WorkerInit;
if (parentPort === null) throw new Error('engine-worker runs as a worker thread of tsvsd');
const port: MessagePort = parentPort;
const post = (m: FromWorker): void => port.postMessage(m);

function desired(r: RuleSet): DesiredRules {
  return {
    services: r.services,
    timeouts: { tcp: r.timeouts.tcpSec, tcpFin: r.timeouts.tcpFinSec, udp: r.timeouts.udpSec },
  };
}

/** This thread's Linux id: /proc/thread-self links to PID/task/TID of the calling thread. */
function threadId(): number {
  try {
    return Number(/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
const tid = threadId();

const row = (s: Service | Dest): CounterRow => [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes];

// The jumbo ring's socket joins a fanout group of its own (AfPacketIo.joinFanout), so a worker's
// superpackets land whole in its jumbo ring as with one engine.
const io = AfPacketIo.open(
  init.cfg.ports.map((p) => p.name),
  {
    ...(init.cfg.jumboSlots !== undefined ? { jumboSlots: init.cfg.jumboSlots } : {}),
    ...(init.cfg.busyPollUs !== undefined ? { spinUs: init.cfg.busyPollUs } : {}),
    ...(init.cfg.pollIntervalUs !== undefined ? { pollIntervalUs: init.cfg.pollIntervalUs } : {}),
  },
);
const groupIds = io.joinFanout(init.groupIds);
const table = new ServiceTable({ findScheduler });
// An interface that returns is re-attached on the main thread's word only (the 'rejoin' message),
// one worker after the other, so the new fanout groups number the workers as before.
// What the engine logs (an interface lost or back) goes to the daemon's logger, which adds `worker`.
const log = new Logger({ level: 'debug', format: 'json', write: (json) => post({ type: 'log', json }) });
/** Built at 'start': the engine's columns live in the shard's state file, opened only then. */
let engine: Engine | null = null;
/** The sync daemons' part in this thread (worker-sync.ts), once the engine runs. */
let sync: WorkerSync | null = null;
let stateInfo: Record<string, unknown> = {};
/** The newest rule set: applied at once once the engine runs, kept until then. */
let latest: RuleSet = init.rules;
let applied: RuleSet = { version: 0, services: [], timeouts: init.rules.timeouts };
let reportTimer: NodeJS.Timeout | null = null;
/** The groups' program, kept by worker 0 for the new groups of a re-attached port. */
let program: Uint32Array | null = null;

function applyRules(e: Engine, next: RuleSet): void {
  const t = e.conns.timeouts;
  const cur = () => {
    const v = t.get();
    return { tcpSec: v.tcp, tcpFinSec: v.tcpfin, udpSec: v.udp };
  };
  const steps = planReconcile(table, cur(), desired(applied), desired(next));
  applySteps(table, (v) => t.set(v.tcpSec, v.tcpFinSec, v.udpSec), cur, steps);
  applied = next;
  post({ type: 'applied', version: next.version });
}

function report(e: Engine): void {
  const services: ServiceCounters[] = table.services().map((s) => ({
    key: { af: s.af, protocol: s.protocol, addr: s.addr, port: s.port, fwmark: s.fwmark },
    c: row(s),
    dests: s.dests.map((d) => ({
      addr: d.addr,
      port: d.port,
      c: row(d),
      activeConns: d.activeConns,
      inactConns: d.inactConns,
      persistConns: d.persistConns,
    })),
  }));
  const conns = e.conns.count <= REPORT_CONNS_MAX ? engineConnSource(e).connections() : null;
  const stats = JSON.parse(JSON.stringify({ ...engineStats(e), stateFile: stateInfo })) as Record<string, unknown>;
  post({
    type: 'report',
    report: { index: init.index, tid, rulesVersion: applied.version, engine: stats, services, conns },
  });
}

/**
 * Opens this shard's state file (state-reshard.ts; mapped as the single engine maps its own),
 * builds the engine on it, applies the newest rules, restores the table (restoreConns rebinds to
 * this thread's services), learns the handed-over neighbours and starts forwarding. The lock wait
 * covers a predecessor that handed over and is exiting, and a restart after a crash.
 */
function start(m: ToWorker & { type: 'start' }): void {
  const state = m.state.path === null ? null : openConnState(m.state.path, init.cfg.connCapacity, log, 5000);
  const state6 = openConnState6(m.state.path6, init.cfg, log, 5000);
  const e = new Engine(io, init.cfg, table, {
    log,
    ...memory6Of(state6),
    conn: { lportSlot: init.index, lportSlots: init.workers, ...(state === null ? {} : { memory: state.memory }) },
    portReturned: (p, ifindex) => post({ type: 'portBack', port: p, ifindex }),
  });
  engine = e;
  sync = new WorkerSync(e, table, init.index, init.workers, log);
  applyRules(e, latest);
  const restored = restoreState(e, table, state?.attach === true, m.state.imported, Date.now());
  if (restored !== null)
    log.info('connections carried over from the state file', { stateFile: state?.path ?? null, ...restored });
  const restored6 = restoreState6(e, table, state6, m.state.imported6, log, Date.now());
  stateInfo = { path: state?.path ?? null, fresh: state?.fresh ?? '', restored, ...stateInfo6(state6, restored6) };
  learnNeighbours(e, m.neighbours, Date.now());
  if (init.index === 0) {
    // Every ARP frame reaches member 0: what it learns, the other workers learn through the main thread.
    e.xmit.neigh.onLearn = (ip, at, mac, off) =>
      post({ type: 'neigh', ip, port: at, mac: Uint8Array.from(mac.subarray(off, off + 6)) });
    // Neighbour discovery reaches member 0 too; the IPv6 table is keyed by this engine's own
    // numbers for the addresses (addr6-index.ts), so the relay carries the address.
    const x6 = e.v6?.x6;
    if (x6 !== undefined) {
      x6.neigh.onLearn = (id, at, mac, off) => {
        const addr = new Uint32Array(4);
        x6.index.addrOf(id, addr);
        post({ type: 'neigh6', addr, port: at, mac: Uint8Array.from(mac.subarray(off, off + 6)) });
      };
    }
  }
  e.start();
  reportTimer = setInterval(() => report(e), REPORT_EVERY_MS);
  post({ type: 'started' });
}

function stop(): void {
  if (reportTimer !== null) clearInterval(reportTimer);
  reportTimer = null;
  sync?.stopAll(); // a sync socket would keep the thread alive
  if (engine !== null) engine.stop();
  else io.close();
  port.close();
}

/** Re-attaches port, joins its new groups as this worker's member, and worker 0 sets their program. */
function rejoin(e: Engine, p: number, rx: number, jumbo: number): void {
  const fail = (error: string): void => post({ type: 'rejoined', port: p, ifindex: 0, rx: 0, jumbo: 0, error });
  if (!e.portWatch.reattach(p)) return fail(e.portWatch.links[p]?.error || 'no interface to re-attach to');
  try {
    const [r, j] = io.joinFanoutPort(p, rx, jumbo);
    if (init.index === 0 && program !== null) io.setFanoutProgram(program);
    post({ type: 'rejoined', port: p, ifindex: io.ports[p]!.ifindex, rx: r, jumbo: j, error: '' });
  } catch (err) {
    fail((err as Error).message);
  }
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start':
      start(m);
      break;
    case 'rules':
      if (m.program !== null) io.setFanoutProgram((program = m.program));
      if (m.rules.version > latest.version) latest = m.rules;
      if (engine !== null && latest.version > applied.version) applyRules(engine, latest);
      break;
    case 'neigh':
      engine?.xmit.neigh.learn(m.ip, m.port, m.mac, 0, Date.now());
      break;
    case 'neigh6':
      engine?.v6?.x6.learn(m.addr, m.port, m.mac, 0, Date.now());
      break;
    case 'rejoin':
      if (engine !== null) rejoin(engine, m.port, m.rx, m.jumbo);
      else post({ type: 'rejoined', port: m.port, ifindex: 0, rx: 0, jumbo: 0, error: 'the worker is not started' });
      break;
    case 'op':
      if (m.op !== 'sync') post(runWorkerOp(engine, init.index, m.id, m.op, m.args));
      else if (sync === null) post(runWorkerOp(null, init.index, m.id, m.op, m.args));
      else
        sync.op(m.args).then(
          (result) => post({ type: 'opReply', id: m.id, result, error: '' }),
          (err: unknown) => post({ type: 'opReply', id: m.id, result: null, error: (err as Error).message }),
        );
      break;
    case 'syncMessage':
      sync?.message(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      break;
    case 'stop':
      stop();
      break;
  }
});
post({ type: 'joined', groupIds });
