// engine-workers: the packet engine as N data-path threads (`[engine] workers N`, N > 1), each an
// engine-worker.ts with its own rings, connection shard and full-NAT port slice; the control plane
// stays on the main thread. Start-up joins the workers to the fanout groups one at a time (a
// member's index is its join order, and the fanout program's result picks the index), then
// installs the program and starts them all.
//
// Rule changes: any change of the daemon's service table (or of the timeouts) becomes one new
// complete RuleSet with the next version, sent to every worker in the same turn; each swaps it in
// between two batches (engine-worker.ts). The fanout program is rebuilt when the in addresses
// (owned addresses and VIPs) change.
//
// An interface that is deleted and comes back (a new ifindex) needs new sockets in every worker,
// and the old groups went with the old device (a group is tied to its device: fanout_add refuses
// a socket bound elsewhere). The first worker whose look finds it back tells this thread, which
// has worker 0 re-attach and create the new groups, then worker 1 join them, and so on, so the
// members keep their indexes (workers-rejoin.ts). A link that only goes down and up keeps its sockets: the kernel
// unlinks the members at NETDEV_DOWN and links them again at NETDEV_UP in socket creation order
// (packet_notifier walks net->packet.sklist, to which packet_create appends), which is the
// workers' order, as they open their sockets one after the other.
//
// A worker that dies (an uncaught exception, an exit) is logged with its error and counted in
// engine.stats (workerCrashes); all workers are then stopped and started again, because the kernel
// renumbers a fanout group's members when one leaves (fanout_release moves the last into the hole)
// and every flow would then reach a worker that does not hold it. Each worker attaches its shard's
// state file again as it starts (a thread's exit releases its mapping's lock; the lock wait covers
// the rest), so the table comes back as after a restart; with `state-file none` it is lost.

import type { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { fanoutProgram } from '../io/fanout-program.ts';
import { fanoutAddrs } from './fanout-addrs.ts';
import type { FanoutGroups } from '../io/af-packet.ts';
import type { TsvsDaemon } from './daemon.ts';
import type { RuleSet, ToWorker, FromWorker, WorkerInit, WorkerReport, WorkerState } from './worker-messages.ts';
import { EngineDataPlane } from './engine-data-plane.ts';
import { WorkersConnSource, mergeServiceCounters } from './workers-data-plane.ts';
import { mergeWorkerStats, reportedNeighbours } from './worker-stats.ts';
import type { HandedNeighbour } from './handover.ts';
import { relayWorkerLog, spawnWorker, stopWorkers, untilMessage } from './worker-thread.ts';
import { WorkersRejoin } from './workers-rejoin.ts';

const STOP_GRACE_MS = 2000;
const RESTART_DELAY_MS = 1000;

export class EngineWorkers {
  readonly dp: EngineDataPlane;
  private readonly source: WorkersConnSource;
  crashes = 0;
  /** Worker `index`'s connection state at the next start (worker-runner.ts sets it). */
  shardState: (index: number) => WorkerState = () => ({ path: null, imported: null });
  private threads: Worker[] = [];
  private reports: (WorkerReport | null)[] = [];
  private version = 0;
  private programKey = '';
  private stopping = false;
  private restarting = false;
  private pushQueued = false;
  private readonly rejoins: WorkersRejoin;
  /** Called after a crash restarted every worker from the config (worker-runner.ts: VRRP state). */
  onRestarted: () => void = () => {};

  constructor(
    private readonly daemon: Pick<TsvsDaemon, 'table'>,
    private readonly cfg: EngineConfig,
    private readonly log: Logger,
    readonly count: number,
  ) {
    this.source = new WorkersConnSource(
      cfg.connCapacity,
      () => this.reports,
      () => this.queuePush(),
    );
    this.dp = new EngineDataPlane(this.source, daemon.table.services());
    this.rejoins = new WorkersRejoin(cfg, log);
    daemon.table.onChange((c) => {
      this.dp.tableChanged(c);
      this.queuePush();
    });
  }

  /** Opens and starts the workers; resolves once every one runs. */
  async start(neighbours: readonly HandedNeighbour[] = []): Promise<void> {
    await this.open();
    await this.run(neighbours);
  }

  /**
   * Spawns the workers in index order, each joined to the fanout groups, and installs the
   * program: from here frames queue in the ring of the worker that will hold their flow.
   */
  async open(): Promise<void> {
    const shard = { ...this.cfg, connCapacity: Math.max(1, Math.ceil(this.cfg.connCapacity / this.count)) };
    const rules = this.ruleSet();
    const none = this.cfg.ports.map(() => 0);
    let groupIds: FanoutGroups = { rx: none, jumbo: none };
    this.threads = [];
    this.reports = new Array<WorkerReport | null>(this.count).fill(null);
    for (let index = 0; index < this.count; index++) {
      const init: WorkerInit = {
        index,
        workers: this.count,
        cfg: shard,
        groupIds,
        rules,
      };
      const w = spawnWorker(init);
      this.threads.push(w);
      groupIds = await this.joined(w, index);
    }
    this.programKey = '';
    this.sendProgram();
  }

  /** Every worker attaches its shard (shardState) and forwards; resolves once every one runs. */
  async run(neighbours: readonly HandedNeighbour[] = []): Promise<void> {
    await Promise.all(
      this.threads.map((w, i) =>
        untilMessage(w, 'started', () =>
          w.postMessage({ type: 'start', state: this.shardState(i), neighbours } satisfies ToWorker),
        ),
      ),
    );
  }

  /** The resolved neighbours as worker 0 last reported them (every worker learns what it learns). */
  neighbours(): HandedNeighbour[] {
    return reportedNeighbours(this.reports[0] ?? null, this.cfg.ports);
  }

  /** engine.stats: the workers' counters summed, each worker's own under `workers`. */
  stats(): Record<string, unknown> {
    return { ...mergeWorkerStats(this.reports), workerCount: this.count, workerCrashes: this.crashes };
  }

  /** The running threads, in member order (workers-ops.ts asks them). */
  get threadList(): readonly Worker[] {
    return this.threads;
  }

  /** A neighbour every worker learns now, as if worker 0 had heard its ARP reply. */
  learnNeighbour(ip: number, port: number, mac: Uint8Array): void {
    for (const w of this.threads) w.postMessage({ type: 'neigh', ip, port, mac } satisfies ToWorker);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.dp.stop();
    await this.stopThreads();
  }

  private async stopThreads(): Promise<void> {
    const all = this.threads;
    this.threads = [];
    await stopWorkers(all, STOP_GRACE_MS);
  }

  private joined(w: Worker, index: number): Promise<FanoutGroups> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: FromWorker): void => {
        if (m.type !== 'joined') return;
        w.off('error', reject);
        this.watch(w, index);
        resolve(m.groupIds);
      };
      w.on('message', onMsg);
      w.once('error', reject);
    });
  }

  /** Reports, neighbour relays and crashes of worker `index`. */
  private watch(w: Worker, index: number): void {
    w.on('message', (m: FromWorker) => {
      if (m.type === 'report') {
        this.reports[index] = m.report;
        mergeServiceCounters(this.daemon.table, this.reports);
      } else if (m.type === 'neigh' || m.type === 'neigh6') {
        for (const other of this.threads) if (other !== w) other.postMessage(m);
      } else if (m.type === 'log') {
        relayWorkerLog(this.log, m.json, index);
      } else if (m.type === 'portBack') {
        void this.rejoins.rejoin(this.threads, m.port, m.ifindex);
      }
    });
    const died = (why: string): void => {
      if (this.stopping || this.restarting || !this.threads.includes(w)) return;
      this.crashes++;
      this.log.error('engine worker died; restarting every worker (their connections are lost)', {
        worker: index,
        error: why,
        crashes: this.crashes,
      });
      void this.restart();
    };
    w.on('error', (e) => died(e.message));
    w.on('exit', (code) => died(`exit code ${code}`));
  }

  private async restart(): Promise<void> {
    this.restarting = true;
    await this.stopThreads();
    await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
    this.restarting = false;
    if (this.stopping) return;
    try {
      await this.start();
      this.onRestarted();
      this.log.info('engine workers running again', { workers: this.count });
    } catch (e) {
      this.log.error('engine workers cannot start again', { error: (e as Error).message });
    }
  }

  private ruleSet(): RuleSet {
    return { version: ++this.version, services: this.daemon.table.toRules(), timeouts: this.source.timeouts() };
  }

  /** One push per turn, however many table changes it made (an ipvsadm -R restores many). */
  private queuePush(): void {
    if (this.pushQueued) return;
    this.pushQueued = true;
    queueMicrotask(() => {
      this.pushQueued = false;
      const rules = this.ruleSet();
      const program = this.programIfChanged();
      this.threads.forEach((w, i) =>
        w.postMessage({ type: 'rules', rules, program: i === 0 ? program : null } satisfies ToWorker),
      );
    });
  }

  private programIfChanged(): Uint32Array | null {
    const addrs = fanoutAddrs(this.cfg, this.daemon);
    if (addrs.key === this.programKey) return null;
    this.programKey = addrs.key;
    return fanoutProgram(addrs);
  }

  private sendProgram(): void {
    const program = this.programIfChanged();
    const w = this.threads[0];
    if (program !== null && w !== undefined)
      w.postMessage({ type: 'rules', rules: { version: 0, services: [], timeouts: this.source.timeouts() }, program });
  }
}
