// The per-run records of HealthMonitor (monitor.ts): one per checker, real server and virtual
// service, keepalived's checker_t / real_server_t / virtual_server_t runtime fields (check_api.h,
// check_data.h) that the healthchecker loop updates. A reload may seed a real server's checkers
// with the states they had (migrate_checkers, check_api.c).

import { CheckerState } from './checker-loop.ts';
import type { PolicyOutput } from './policy.ts';
import type { MonitoredChecker, MonitoredServer, MonitoredService } from './monitor-types.ts';
import type { TimerHandle } from '../lib/timers.ts';

/** One checker's state as a reload carries it over (CheckerState's fields). */
export interface CheckerSeed {
  readonly isUp: boolean;
  readonly hasRun: boolean;
  readonly retryIt: number;
}

export class CheckerRun {
  readonly cfg: MonitoredChecker;
  readonly st: CheckerState;
  timer: TimerHandle | undefined = undefined;
  abort: AbortController | undefined = undefined;
  inflight: Promise<void> | undefined = undefined;

  constructor(cfg: MonitoredChecker) {
    this.cfg = cfg;
    this.st = new CheckerState(cfg.loop.alpha);
  }
}

export class ServerRun {
  readonly cfg: MonitoredServer;
  readonly checkers: CheckerRun[];
  numFailed: number;
  alive: boolean;
  /** Effective weight (keepalived's effective_weight). */
  weight: number;

  constructor(cfg: MonitoredServer, seed: readonly CheckerSeed[] | undefined) {
    this.cfg = cfg;
    this.checkers = cfg.checkers.map((c) => new CheckerRun(c));
    if (seed !== undefined && seed.length === this.checkers.length) {
      this.checkers.forEach((c, i) => {
        c.st.isUp = seed[i]!.isUp;
        c.st.hasRun = seed[i]!.hasRun;
        c.st.retryIt = seed[i]!.retryIt;
      });
    }
    // queue_checker: an alpha checker counts as failed until it passes.
    this.numFailed = this.checkers.filter((c) => !c.st.isUp).length;
    this.alive = this.numFailed === 0;
    this.weight = cfg.weight;
  }
}

export class ServiceRun {
  readonly cfg: MonitoredService;
  readonly servers: ServerRun[];
  quorumUp: boolean | undefined = undefined;
  last: PolicyOutput | undefined = undefined;
  lastSig = '';

  constructor(
    cfg: MonitoredService,
    seed: ((serviceKey: string, destKey: string) => readonly CheckerSeed[] | undefined) | undefined,
  ) {
    this.cfg = cfg;
    this.servers = cfg.servers.map((s) => new ServerRun(s, seed?.(cfg.key, s.key)));
  }
}
