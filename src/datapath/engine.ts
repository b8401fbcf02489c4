// Engine: the data plane assembled — a PacketIo, the pipeline, the connection table, routing and
// ARP — plus its clocks: one Date.now() per batch, connection expiry and ARP ageing on timers,
// and the defence work (update_defense_level, drop_entry) once a second on a Timers timer.

import { DropCounters } from '../lib/drops.ts';
import { RealTimers, type TimerHandle, type Timers } from '../lib/timers.ts';
import { ConnManager, type ConnManagerOptions } from '../conn/conn-manager.ts';
import { DEFENSE_TIMER_PERIOD_MS, type DefenseStats } from '../conn/defense.ts';
import { DEFAULT_EMBRYONIC_PERCENT, embryonicQuota, type EngineConfig } from './engine-config.ts';
import { announce } from './local.ts';
import { announce6 } from './local6.ts';
import { ConnManager6 } from '../conn/conn-manager6.ts';
import { Pipeline6 } from './pipeline6.ts';
import { Xmit6 } from './xmit6.ts';
import { OwnedAddrs } from './owned-addrs.ts';
import type { PacketIo, RxBatch } from './packet-io.ts';
import { Pipeline, type ServiceView } from './pipeline.ts';
import { TraceRing } from './trace.ts';
import { Trace6 } from './trace6.ts';
import { Xmit } from './xmit.ts';
import { Capture } from './capture.ts';
import { PortWatch } from './port-watch.ts';
import type { Logger } from '../lib/logger.ts';

export interface EngineOptions {
  conn?: ConnManagerOptions;
  /** The IPv6 connection table's mapped state file (conn-layout6.ts); default: the heap. */
  memory6?: ArrayBuffer;
  /** Connection expiry period (ms; each run does bounded work); ARP retry/ageing period (ms). */
  expireEveryMs?: number;
  neighEveryMs?: number;
  now?: () => number; // the clock, for tests
  /** Timers for the once-a-second defence work (a ManualTimers in tests); default RealTimers. */
  timers?: Timers;
  /** Where a lost or returned interface is told (PortWatch); none by default. */
  log?: Logger;
  /** Period of the interface look-up (ms, default PORT_WATCH_MS). */
  portWatchMs?: number;
  /** An interface returned: the owner re-attaches the port in fanout member order (a worker of tsvsd). */
  portReturned?: (port: number, ifindex: number) => void;
}

const GARP_MASTER_REPEAT = 5; // keepalived.conf(5) defaults: vrrp_garp_master_repeat,
const GARP_MASTER_DELAY_MS = 5000; // vrrp_garp_master_delay

export class Engine {
  readonly drops = new DropCounters();
  readonly trace = new TraceRing(4096);
  readonly conns: ConnManager;
  readonly owned: OwnedAddrs;
  readonly xmit: Xmit;
  readonly pipeline: Pipeline;
  /** The IPv6 path (connections, neighbours, routes) when the config has IPv6 addresses or prefixes, else null. */
  readonly v6: Pipeline6 | null;
  /** The state of each port's interface: gone or attached (PortWatch). */
  readonly portWatch: PortWatch;
  /** Batch size histogram: batches with 1, 2-3, 4-7, ... frames (power-of-two buckets). */
  readonly batchSizes = new Float64Array(12);
  /** Frames over all batches (the histogram's sum). */
  batchFrames = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private garpTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly defenseTimers: Timers;
  private defenseTimer: TimerHandle | null = null;

  constructor(
    readonly io: PacketIo,
    readonly cfg: EngineConfig,
    services: ServiceView,
    private readonly opts: EngineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.defenseTimers = opts.timers ?? new RealTimers();
    const ports =
      cfg.fullNatPorts === undefined ? {} : { lportMin: cfg.fullNatPorts[0], lportMax: cfg.fullNatPorts[1] };
    const fnat = cfg.fullNatAddrs.length > 0 ? { localAddrs: [...cfg.fullNatAddrs], ...ports } : {};
    const base: ConnManagerOptions = {
      capacity: cfg.connCapacity,
      startMs: this.now(),
      embryonicQuota: embryonicQuota(cfg.connCapacity, cfg.embryonicPercent ?? DEFAULT_EMBRYONIC_PERCENT),
      ...(cfg.defense !== undefined ? { defense: cfg.defense } : {}),
      sloppyTcp: cfg.sloppyTcp === 'on',
      adoptConsistent: cfg.sloppyTcp === 'consistent',
    };
    this.conns = new ConnManager({ ...base, ...fnat, ...(opts.conn ?? {}) });
    this.owned = new OwnedAddrs(cfg);
    this.xmit = new Xmit(io, cfg, this.drops);
    this.setStandby(cfg.vrrpState === 'backup');
    this.pipeline = new Pipeline(services, this.conns, this.owned, this.xmit, this.drops, this.trace);
    this.v6 = null;
    if (this.owned.entries6().length > 0 || cfg.ports.some((p) => (p.subnets6?.length ?? 0) > 0)) {
      // One timeout table for both families (--set); ConnManager6 leaves out the IPv4 mapping.
      const fnat6 = (cfg.fullNatAddrs6?.length ?? 0) > 0 ? { localAddrs6: cfg.fullNatAddrs6!, ...ports } : {};
      const mem6 = opts.memory6 === undefined ? {} : { memory6: opts.memory6 };
      const cm6 = new ConnManager6({ ...base, ...fnat6, ...(opts.conn ?? {}), ...mem6, timeouts: this.conns.timeouts });
      const x6 = new Xmit6(io, cfg, this.xmit);
      this.v6 = new Pipeline6(services, cm6, this.owned, this.xmit, x6, this.pipeline, new Trace6(this.trace));
      this.pipeline.v6 = this.v6;
    }
    const hooks = {
      lost: (p: number) => this.portLost(p),
      reattached: (p: number) => this.portReattached(p),
      ...(opts.portReturned !== undefined ? { returned: opts.portReturned } : {}),
    };
    this.portWatch = new PortWatch(io, hooks, opts.log ?? null);
  }

  start(): void {
    this.io.start((b: RxBatch) => this.onBatch(b));
    if (!this.owned.standby) this.announce();
    const expireMs = this.opts.expireEveryMs ?? 100;
    const neighMs = this.opts.neighEveryMs ?? 250;
    this.timers.push(setInterval(() => this.expire(), expireMs).unref());
    this.timers.push(setInterval(() => this.neighTick(), neighMs).unref());
    this.armDefense();
    this.portWatch.start(this.opts.portWatchMs);
  }

  /**
   * Gratuitous ARP for every owned address and an unsolicited NA for every owned IPv6 address,
   * `repeat` times, sent now (at start, and on a VRRP takeover).
   */
  announce(repeat = 1): void {
    const queue = (port: number, frame: Buffer): void => {
      this.io.queueTx(port, frame, 0, frame.length, 0);
    };
    for (let i = 0; i < repeat; i++) {
      announce(this.owned, this.xmit, queue);
      announce6(this.owned, this.xmit, queue);
    }
    this.io.flush();
  }

  private expire(): void {
    const now = this.now();
    this.conns.expire(now);
    this.v6?.cm.conns.expire(now);
  }

  private neighTick(): void {
    const now = this.now();
    this.xmit.neigh.tick(now);
    this.v6?.x6.neigh.tick(now);
  }

  /**
   * Hold the owned addresses silently (standby: VRRP BACKUP or FAULT) or answer for them; taking
   * them over announces them at once (unless another worker does), as keepalived's vrrp_send_link_update().
   */
  setStandby(standby: boolean, announce = true): void {
    const was = this.owned.standby;
    this.owned.standby = standby;
    this.xmit.heldSenders = standby ? this.owned.entries().map(([a]) => a) : [];
    if (!was || standby || !announce) return;
    // keepalived's vrrp_state_become_master with its defaults: vrrp_garp_master_repeat (5)
    // gratuitous ARPs at once, so one lost frame does not leave a neighbour on the old MASTER's
    // MAC, and a second set vrrp_garp_master_delay (5 s) later.
    this.announce(GARP_MASTER_REPEAT);
    if (this.garpTimer !== null) clearTimeout(this.garpTimer);
    this.garpTimer = setTimeout(() => {
      this.garpTimer = null;
      if (!this.owned.standby) this.announce(GARP_MASTER_REPEAT);
    }, GARP_MASTER_DELAY_MS).unref();
  }

  /** defense_work_handler re-queues itself every DEFENSE_TIMER_PERIOD (schedule_delayed_work). */
  private armDefense(): void {
    this.defenseTimer = this.defenseTimers.setTimeout(() => {
      const now = this.now();
      this.conns.defenseWork(now);
      this.v6?.cm.conns.defenseWork(now);
      this.pipeline.synproxy.tick(now);
      this.v6?.synproxy.tick(now);
      this.armDefense();
    }, DEFENSE_TIMER_PERIOD_MS);
  }

  /** The defence strategies and the embryonic quota, for engine.stats (tsvsadm --engine). */
  defenseStats(): DefenseStats & { embryonic: number; embryonicQuota: number; embryonicRecycled: number } {
    const emb = this.conns.table.embryonic;
    return {
      ...this.conns.defense.stats(),
      embryonic: emb.count,
      embryonicQuota: emb.quota,
      embryonicRecycled: emb.recycled,
    };
  }

  /**
   * Port's interface went away: the neighbours learned on it go with it, as neigh_ifdown()
   * (net/core/neighbour.c) flushes a device's entries when it is unregistered. Rules, connections
   * and counters stay.
   */
  portLost(port: number): void {
    this.xmit.neigh.forgetPort(port);
    this.v6?.x6.neigh.forgetPort(port);
  }

  /**
   * Port re-attached to an interface that returned under its name (PacketIo.reattach): its MAC may
   * be new, so ARP and echo replies take it from xmit.macs, and the owned addresses on the port are
   * announced by gratuitous ARP again, as at start, so that neighbours learn it.
   */
  portReattached(port: number): void {
    const p = this.io.ports[port];
    if (p === undefined) return;
    this.xmit.macs.set(p.mac.subarray(0, 6), port * 6);
    announce(this.owned, this.xmit, (at, frame) => {
      if (at === port) this.io.queueTx(at, frame, 0, frame.length, 0);
    });
    this.io.flush();
  }

  /** Start capturing what enters and leaves to PREFIX-in.pcap / PREFIX-out.pcap. */
  startCapture(prefix: string, seconds: number, maxFrames: number): Capture {
    this.xmit.capture?.stop();
    const c = new Capture(prefix, seconds, maxFrames, () => {
      if (this.xmit.capture === c) this.xmit.capture = null;
    });
    this.xmit.capture = c;
    return c;
  }

  private onBatch(b: RxBatch): void {
    const n = b.count;
    const cap = this.xmit.capture;
    if (cap !== null) for (let i = 0; i < n; i++) cap.captureIn(b.buf, b.off[i]!, b.len[i]!);
    this.batchSizes[n <= 1 ? 0 : Math.min(11, 31 - Math.clz32(n))]!++;
    this.batchFrames += n;
    this.pipeline.processBatch(b, this.now());
  }

  /** Run due timers now (tests with a manual clock). */
  tick(): void {
    this.expire();
    this.neighTick();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.garpTimer !== null) clearTimeout(this.garpTimer);
    this.garpTimer = null;
    if (this.defenseTimer !== null) this.defenseTimers.clearTimeout(this.defenseTimer);
    this.defenseTimer = null;
    this.portWatch.stop();
    this.io.close();
  }
}
