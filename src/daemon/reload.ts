// Reloader: one reload of tsvsd at a time (SIGHUP, the `reload` op). It reads the config and
// what its [rules] declare, prepares every reload hook (the health file), then plans, tries on a
// scratch table and applies the rules with no await in between, so that no control request
// changes the table under the plan; only then the hooks commit and the engine hears of the new
// [engine]. Anything wrong before the apply rejects the whole reload and changes nothing.

import { TsvsError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { readConfig, type DaemonConfig } from './config-file.ts';
import type { ConfigRules } from './config-rules.ts';
import { stepCounts, type DesiredRules, type Step } from './reconcile.ts';

/**
 * A part of tsvsd that reloads with the config (the health checks): prepare() reads and checks
 * its input and throws if it is wrong, without changing anything; the function it returns
 * applies it and runs only when every part of the reload was valid.
 */
export interface ReloadHook {
  prepare(): Promise<() => void | Promise<void>>;
}

/** What a reload changed, as the `reload` op answers it. */
export interface ReloadSummary {
  /** The config file read, or null when tsvsd runs without one (only reload hooks ran). */
  readonly config: string | null;
  readonly changes: Readonly<Record<string, number>>;
}

/** What the Reloader needs of the daemon. */
export interface ReloadTarget {
  readonly configPath: string | undefined;
  readonly configRules: ConfigRules;
  readonly log: Logger;
  readonly hooks: readonly ReloadHook[];
  /** The config in use, and the rules and socket paths fixed at start. */
  running(): { readonly config: DaemonConfig | null; readonly rulesFile: string; readonly socketFile: string };
  /** Makes `cfg` the config in use. */
  adopt(cfg: DaemonConfig): void;
  /** Saves the rules file. */
  persist(): Promise<void>;
  serviceCount(): number;
  readonly onEngineConfig: ((cfg: EngineConfig) => void) | undefined;
}

export class Reloader {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly target: ReloadTarget) {}

  /** Resolves with what changed; rejects with ERELOAD (the running state kept). */
  reload(): Promise<ReloadSummary> {
    const run = this.chain.then(() => this.once());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async once(): Promise<ReloadSummary> {
    const { configPath: path, configRules: cr, log } = this.target;
    let cfg: DaemonConfig | null = null;
    let want: DesiredRules | null = null;
    let steps: Step[] = [];
    const commits: (() => void | Promise<void>)[] = [];
    try {
      if (path !== undefined) {
        cfg = await readConfig(path);
        want = await cr.desiredOf(cfg);
      }
      for (const h of this.target.hooks) commits.push(await h.prepare());
      // Parsing a large [rules] holds the event loop as long as planning and applying it: let
      // the data path run between the two rather than stall once for both.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (cfg !== null && want !== null) steps = cr.plan(want, cfg.path);
    } catch (e) {
      log.error('reload failed; keeping the running configuration', { error: (e as Error).message });
      throw new TsvsError('ERELOAD', `reload failed; keeping the running configuration: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (cfg !== null && want !== null) {
      const now = this.target.running();
      if ((cfg.rulesPath ?? now.rulesFile) !== now.rulesFile || (cfg.socketPath ?? now.socketFile) !== now.socketFile)
        log.warn('reload: socket and rules paths take effect at the next start only');
      if (JSON.stringify(cfg.socketAccess) !== JSON.stringify(now.config?.socketAccess))
        log.warn('reload: socket-group and socket-mode take effect at the next start only');
      this.target.adopt(cfg);
      cr.apply(steps, want);
      await this.target.persist();
      await cr.saveRecord();
    }
    for (const c of commits) await c();
    if (cfg !== null) this.target.onEngineConfig?.(cfg.engine);
    const changes = stepCounts(steps);
    if (path === undefined) log.info('reload: no config file; nothing else to do');
    else log.info('config reloaded', { file: path, services: this.target.serviceCount(), ...changes });
    return { config: path ?? null, changes };
  }
}
