// HealthMonitor: keepalived's healthchecker loop for virtual services (check_api.c
// register_checkers_thread, the per-checker epilogs, ipwrapper.c update_svr_checker_state /
// perform_svr_state / update_svr_wgt / update_quorum_state). It runs the checkers, keeps each real
// server's state (alive iff none of its checkers is failed: num_failed_checkers == 0), and emits
// events; it never touches the service table itself.
//
// Events:
//   'transition' HealthEvent   a real server went up or down (weight: effective weight, 0 when down)
//   'weight'     HealthEvent   an alive server's effective weight changed (MISC_CHECK misc_dynamic)
//   'quorum'     QuorumEvent   quorum gained or lost (also "Starting with quorum down" with a sorry server)
//   'desired'    DesiredEvent  the (dest, weight) set IPVS should now hold changed (policy.ts)
//   'result'     ResultEvent   every single check result

import { EventEmitter } from 'node:events';
import type { CheckResult } from './checker.ts';
import { epilog } from './checker-loop.ts';
import { ServiceRun, type CheckerRun, type CheckerSeed, type ServerRun } from './monitor-run.ts';
import { computeDesired, realWeight, type PolicyOutput } from './policy.ts';
import type { DesiredEvent, HealthEvent, MonitoredService, QuorumEvent, ResultEvent } from './monitor-types.ts';
import { RealTimers, type Timers } from '../lib/timers.ts';
import { NotifyRunner } from './notify.ts';

export interface MonitorOptions {
  readonly timers?: Timers;
  /** Uniform [0, 1) for warmup; default Math.random. */
  readonly random?: () => number;
  /** BOOTSTRAP_DELAY before the first check (keepalived lib/scheduler.h: TIMER_HZ, 1 s). */
  readonly bootstrapDelayMs?: number;
  /** Runs notify/quorum scripts; default a NotifyRunner. */
  readonly notify?: (argv: readonly string[]) => void;
  /**
   * Checker states carried over a reload (keepalived's migrate_checkers, check_api.c): for a
   * real server whose configuration did not change, its checkers start where the old ones were.
   */
  readonly seed?: (serviceKey: string, destKey: string) => readonly CheckerSeed[] | undefined;
}

export const BOOTSTRAP_DELAY_MS = 1000;

export class HealthMonitor extends EventEmitter {
  private readonly services: ServiceRun[];
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly bootstrapDelayMs: number;
  private readonly notify: (argv: readonly string[]) => void;
  private readonly notifyRunner: NotifyRunner | undefined;
  private running = false;

  constructor(services: readonly MonitoredService[], opts: MonitorOptions = {}) {
    super();
    this.services = services.map((s) => new ServiceRun(s, opts.seed));
    this.timers = opts.timers ?? new RealTimers();
    this.random = opts.random ?? Math.random;
    this.bootstrapDelayMs = opts.bootstrapDelayMs ?? BOOTSTRAP_DELAY_MS;
    if (opts.notify !== undefined) {
      this.notify = opts.notify;
      this.notifyRunner = undefined;
    } else {
      const runner = new NotifyRunner();
      this.notifyRunner = runner;
      this.notify = (argv) => runner.run(argv);
    }
  }

  /** Compute the start-up state (init_services: alpha servers out, quorum), then arm every checker. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const sv of this.services) {
      this.recompute(sv);
      for (const srv of sv.servers) {
        for (const cr of srv.checkers) {
          const warmup = cr.cfg.loop.warmupMs > 0 ? Math.floor(cr.cfg.loop.warmupMs * this.random()) : 0;
          this.schedule(sv, srv, cr, this.bootstrapDelayMs + warmup);
        }
      }
    }
  }

  /** Cancel timers, abort checks in flight and wait for them; wait for notify scripts too. */
  async stop(): Promise<void> {
    this.running = false;
    const waits: Promise<void>[] = [];
    for (const sv of this.services) {
      for (const srv of sv.servers) {
        for (const cr of srv.checkers) {
          if (cr.timer !== undefined) this.timers.clearTimeout(cr.timer);
          cr.timer = undefined;
          cr.abort?.abort();
          if (cr.inflight !== undefined) waits.push(cr.inflight);
        }
      }
    }
    await Promise.all(waits);
    if (this.notifyRunner !== undefined) await this.notifyRunner.drain();
  }

  /** The current policy output of a service (undefined before start or for an unknown key). */
  desired(serviceKey: string): PolicyOutput | undefined {
    return this.services.find((s) => s.cfg.key === serviceKey)?.last;
  }

  /** A real server's state: alive, effective weight, failed checker count. */
  serverState(serviceKey: string, destKey: string): { alive: boolean; weight: number; numFailed: number } | undefined {
    const srv = this.services.find((s) => s.cfg.key === serviceKey)?.servers.find((r) => r.cfg.key === destKey);
    return srv === undefined ? undefined : { alive: srv.alive, weight: srv.weight, numFailed: srv.numFailed };
  }

  /** The checkers' states of a real server, for a reload to carry over. */
  checkerStates(serviceKey: string, destKey: string): CheckerSeed[] | undefined {
    const srv = this.services.find((s) => s.cfg.key === serviceKey)?.servers.find((r) => r.cfg.key === destKey);
    return srv?.checkers.map((c) => ({ isUp: c.st.isUp, hasRun: c.st.hasRun, retryIt: c.st.retryIt }));
  }

  private schedule(sv: ServiceRun, srv: ServerRun, cr: CheckerRun, delayMs: number): void {
    if (!this.running) return;
    cr.timer = this.timers.setTimeout(() => {
      cr.timer = undefined;
      this.runCheck(sv, srv, cr);
    }, delayMs);
  }

  private runCheck(sv: ServiceRun, srv: ServerRun, cr: CheckerRun): void {
    if (!this.running) return;
    const ac = new AbortController();
    cr.abort = ac;
    cr.inflight = cr.cfg.checker.check(srv.cfg, ac.signal).then((result) => {
      cr.abort = undefined;
      cr.inflight = undefined;
      if (this.running) this.onResult(sv, srv, cr, result);
    });
  }

  private onResult(sv: ServiceRun, srv: ServerRun, cr: CheckerRun, result: CheckResult): void {
    const kind = cr.cfg.checker.kind;
    this.emit('result', { serviceKey: sv.cfg.key, destKey: srv.cfg.key, kind, result } satisfies ResultEvent);
    // misc_check_child_thread updates the weight before the state (update_svr_wgt).
    if (result.ok && result.weight !== undefined) this.updateWeight(sv, srv, result.weight);
    const out = epilog(cr.st, cr.cfg.loop, result.ok);
    if (out.report !== null) {
      const reason = out.report === 'up' ? `${kind} succeeded` : `${kind} failed: ${result.reason}`;
      this.updateCheckerState(sv, srv, cr, out.report === 'up', reason);
    }
    cr.st.hasRun = true;
    this.schedule(sv, srv, cr, out.delayMs);
  }

  /** update_svr_checker_state + set_checker_state (ipwrapper.c). */
  private updateCheckerState(sv: ServiceRun, srv: ServerRun, cr: CheckerRun, alive: boolean, reason: string): void {
    if (cr.st.isUp === alive) {
      // First report confirms the start-up state: alpha (or a failure) still runs the notifier.
      if (!cr.st.hasRun && (cr.cfg.loop.alpha || !alive)) this.rsNotify(srv);
      return;
    }
    if (alive) {
      if (srv.numFailed <= 1) this.performSvrState(sv, srv, true, reason);
    } else if (srv.numFailed === 0) this.performSvrState(sv, srv, false, reason);
    cr.st.isUp = alive;
    if (!alive) srv.numFailed++;
    else if (srv.numFailed > 0) srv.numFailed--;
  }

  /** perform_svr_state: the server changes state, its notifier runs, quorum is re-evaluated. */
  private performSvrState(sv: ServiceRun, srv: ServerRun, alive: boolean, reason: string): void {
    if (srv.alive === alive) return;
    srv.alive = alive;
    const ev: HealthEvent = {
      serviceKey: sv.cfg.key,
      destKey: srv.cfg.key,
      up: alive,
      weight: alive ? realWeight(srv.weight) : 0,
      inhibit: !alive && srv.cfg.inhibitOnFailure,
      reason,
    };
    this.emit('transition', ev);
    this.rsNotify(srv);
    this.recompute(sv);
  }

  /** update_svr_wgt: a new effective weight; applied now if alive, later otherwise. */
  private updateWeight(sv: ServiceRun, srv: ServerRun, weight: number): void {
    const old = realWeight(srv.weight);
    srv.weight = weight;
    if (realWeight(weight) === old) return;
    if (srv.alive) {
      const ev: HealthEvent = {
        serviceKey: sv.cfg.key,
        destKey: srv.cfg.key,
        up: true,
        weight: realWeight(weight),
        inhibit: false,
        reason: 'dynamic weight',
      };
      this.emit('weight', ev);
    }
    this.recompute(sv);
  }

  private rsNotify(srv: ServerRun): void {
    const argv = srv.alive ? srv.cfg.notifyUp : srv.cfg.notifyDown;
    if (argv !== undefined && argv.length > 0) this.notify(argv);
  }

  /** Re-run the policy; emit quorum and desired-set changes. */
  private recompute(sv: ServiceRun): void {
    const out = computeDesired(
      {
        servers: sv.servers.map((s) => ({
          key: s.cfg.key,
          alive: s.alive,
          weight: s.weight,
          inhibitOnFailure: s.cfg.inhibitOnFailure,
        })),
        quorum: sv.cfg.quorum,
        hysteresis: sv.cfg.hysteresis,
        ...(sv.cfg.sorryServer !== undefined ? { sorryServer: sv.cfg.sorryServer } : {}),
      },
      sv.quorumUp,
    );
    sv.quorumUp = out.quorumUp;
    sv.last = out;
    if (out.quorumChange !== null) {
      this.emit('quorum', {
        serviceKey: sv.cfg.key,
        up: out.quorumChange === 'up',
        weightSum: out.weightSum,
      } satisfies QuorumEvent);
      const argv = out.quorumChange === 'up' ? sv.cfg.quorumUp : sv.cfg.quorumDown;
      if (argv !== undefined && argv.length > 0) this.notify(argv);
    }
    const sig = `[${out.dests.map((d) => `${d.key}=${d.weight}${d.sorry ? 's' : ''}`).join(',')}]`;
    if (sig !== sv.lastSig) {
      sv.lastSig = sig;
      this.emit('desired', { serviceKey: sv.cfg.key, quorumUp: out.quorumUp, dests: out.dests } satisfies DesiredEvent);
    }
  }
}
