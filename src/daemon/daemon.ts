// TsvsDaemon: the control-plane half of tsvsd. On start it restores the rules file (strict:
// a bad file stops the start and is left as it is), reconciles the table with the config's
// [rules] (reconcile.ts), saves, and serves the control socket; every change is saved before it
// is acknowledged. reload() (SIGHUP, the `reload` op) re-reads the config and reconciles again
// only if all of it is valid (checked on a scratch table, and by every reload hook), so a
// broken config never drops state. The packet engine plugs in through attachDataPlane(); until
// then a MemoryDataPlane stands in.
//
// Which rules are the config's: <rules file>.config holds what the last applied config declared,
// so a service removed from [rules] while tsvsd was stopped is removed at the next start too.

import { TsvsError } from '../lib/errors.ts';
import { ServiceTable } from '../model/service-table.ts';
import { RulesStore, DEFAULT_RULES_PATH } from '../model/rules-store.ts';
import { RuleLineError } from '../model/rules-format.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import type { DataPlane } from '../model/data-plane.ts';
import { MemoryDataPlane } from './memory-data-plane.ts';
import { ControlHandlers, type MutationContext } from './handlers.ts';
import { ControlServer, DEFAULT_SOCKET_PATH } from '../wire/socket.ts';
import { readConfig, type DaemonConfig } from './config-file.ts';
import { applyRules, parseRuleLines, parseRulesText, rulesFileText, type ParsedRule } from './load-rules.ts';
import { applySteps, desiredFromRules, planReconcile, stepCounts, type DesiredRules, type Step } from './reconcile.ts';
import { formatRules, formatTimeoutsLine } from '../model/rules-format.ts';
import { resolveGroup } from './config-daemon.ts';
import type { Logger } from '../lib/logger.ts';
import type { ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import { findScheduler } from '../sched/registry.ts';

export interface DaemonOptions {
  readonly logger: Logger;
  readonly configPath?: string;
  /** Flags win over the config's [daemon] settings, which win over the defaults. */
  readonly rulesPath?: string;
  readonly socketPath?: string;
  readonly findScheduler?: (name: string) => SchedulerFactory | undefined;
  readonly dataPlane?: DataPlane;
  readonly forward?: ForwardLookup;
  /** Called with the [engine] settings on start and on every successful reload. */
  readonly onEngineConfig?: (cfg: EngineConfig) => void;
}

/** Extra control ops served next to the ipvsadm ones (engine trace and stats, health states). */
export type ExtraOp = (args: Record<string, unknown>) => unknown;

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

export class TsvsDaemon {
  readonly table: ServiceTable;
  private dp: DataPlane;
  private readonly log: Logger;
  private readonly opts: DaemonOptions;
  private store: RulesStore | null = null;
  private server: ControlServer | null = null;
  private config: DaemonConfig | null = null;
  private rulesFile: string;
  private socketFile: string;
  private readonly extraOps = new Map<string, ExtraOp>();
  private trashTimer: NodeJS.Timeout | null = null;
  /** What the applied config's [rules] declare (null: no config, or not known yet). */
  private owned: DesiredRules | null = null;
  private ownedStore: RulesStore | null = null;
  private readonly reloadHooks: ReloadHook[] = [];
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.table = new ServiceTable({ findScheduler: opts.findScheduler ?? findScheduler });
    this.dp = opts.dataPlane ?? new MemoryDataPlane();
    this.table.onChange((c) => this.dp.tableChanged?.(c));
    this.rulesFile = opts.rulesPath ?? DEFAULT_RULES_PATH;
    this.socketFile = opts.socketPath ?? DEFAULT_SOCKET_PATH;
  }

  /** The rules file in use (fixed at start). */
  get rulesPath(): string {
    return this.rulesFile;
  }

  /** The control socket in use (fixed at start). */
  get socketPath(): string {
    return this.socketFile;
  }

  get engineConfig(): EngineConfig | null {
    return this.config?.engine ?? null;
  }

  dataPlane(): DataPlane {
    return this.dp;
  }

  /**
   * The engine hook: from now on `dp` answers for connections, rates and timeouts. The
   * timeouts set so far (--set, the rules file) are handed over to it.
   */
  /** Serve another control op (engine.stats, trace, health, ...). */
  addOp(name: string, fn: ExtraOp): void {
    this.extraOps.set(name, fn);
  }

  /** Reload this part with the config (see ReloadHook). */
  addReloadHook(hook: ReloadHook): void {
    this.reloadHooks.push(hook);
  }

  attachDataPlane(dp: DataPlane): void {
    dp.setTimeouts(this.dp.timeouts());
    this.dp = dp;
    this.log.info('data plane attached', { connTableSize: dp.connTableSize() });
  }

  async start(): Promise<void> {
    if (this.opts.configPath !== undefined) this.config = await readConfig(this.opts.configPath);
    this.rulesFile = this.opts.rulesPath ?? this.config?.rulesPath ?? DEFAULT_RULES_PATH;
    this.socketFile = this.opts.socketPath ?? this.config?.socketPath ?? DEFAULT_SOCKET_PATH;
    const want = this.config ? await this.desiredOf(this.config) : null;
    const access = this.config?.socketAccess;
    const gid = access?.group !== undefined ? resolveGroup(access.group) : undefined;
    this.store = new RulesStore(this.rulesPath);
    this.ownedStore = new RulesStore(`${this.rulesPath}.config`);
    const saved = await this.store.load((text) => parseRulesText(text, this.opts.forward));
    const ctx = this.mutationContext();
    if (saved !== null) {
      try {
        applyRules(ctx, saved, 'strict');
      } catch (e) {
        if (e instanceof RuleLineError)
          throw new TsvsError('ERULES_CORRUPT', `${this.rulesPath}:${e.line}: ${e.message}`, { cause: e });
        throw e;
      }
      this.log.info('rules restored', { file: this.rulesPath, services: this.table.services().length });
    }
    if (want !== null) {
      const owned = await this.loadOwned();
      const steps = planReconcile(this.table, this.dp.timeouts(), owned, want);
      this.dryRun(steps, this.config!.path);
      this.applyReconcile(steps);
      this.owned = want;
    }
    await this.persist();
    if (want !== null) await this.saveOwned(want);
    if (this.config !== null) this.opts.onEngineConfig?.(this.config.engine);
    const handlers = new ControlHandlers({ ...ctx, persist: () => this.persist() });
    this.server = new ControlServer({
      path: this.socketPath,
      handle: (op, args) => {
        this.log.debug('control request', { op });
        const extra = this.extraOps.get(op);
        if (extra !== undefined)
          return Promise.resolve(
            extra(typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {}),
          );
        if (op === 'reload') return this.reloadOrThrow();
        return handlers.handle(op, args);
      },
      onProtocolError: (message) => this.log.warn(message),
      onWarning: (message) => this.log.warn(message),
      ...(gid !== undefined ? { gid } : {}),
      ...(access?.mode !== undefined ? { mode: access.mode } : {}),
    });
    await this.server.listen();
    // ip_vs_dest_trash_expire() runs every IP_VS_DEST_TRASH_PERIOD / 2.
    this.trashTimer = setInterval(() => this.table.expireTrash(), 60_000);
    this.trashTimer.unref();
    this.log.info('tsvsd listening', { socket: this.socketPath, rules: this.rulesPath });
  }

  /** SIGHUP: re-read the config; if any of it is wrong, log it and keep everything as it is. */
  async reload(): Promise<boolean> {
    try {
      await this.reloadOrThrow();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The `reload` op and SIGHUP: one reload at a time. Resolves with what changed; rejects with
   * ERELOAD (the running state kept) when the config, the rules or a reload hook is wrong.
   */
  reloadOrThrow(): Promise<ReloadSummary> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadSummary> {
    const path = this.opts.configPath;
    let cfg: DaemonConfig | null = null;
    let want: DesiredRules | null = null;
    let steps: Step[] = [];
    const commits: (() => void | Promise<void>)[] = [];
    try {
      if (path !== undefined) {
        cfg = await readConfig(path);
        want = await this.desiredOf(cfg);
      }
      for (const h of this.reloadHooks) commits.push(await h.prepare());
      // Planned, tried and (below) applied without an await in between, so that no control
      // request changes the table under the plan.
      if (cfg !== null && want !== null) {
        steps = planReconcile(this.table, this.dp.timeouts(), this.owned, want);
        this.dryRun(steps, cfg.path);
      }
    } catch (e) {
      this.log.error('reload failed; keeping the running configuration', { error: (e as Error).message });
      throw new TsvsError('ERELOAD', `reload failed; keeping the running configuration: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (cfg !== null && want !== null) {
      if (
        (cfg.rulesPath ?? this.rulesFile) !== this.rulesFile ||
        (cfg.socketPath ?? this.socketFile) !== this.socketFile
      ) {
        this.log.warn('reload: socket and rules paths take effect at the next start only');
      }
      if (JSON.stringify(cfg.socketAccess) !== JSON.stringify(this.config?.socketAccess))
        this.log.warn('reload: socket-group and socket-mode take effect at the next start only');
      this.config = cfg;
      this.applyReconcile(steps);
      this.owned = want;
      await this.persist();
      await this.saveOwned(want);
    }
    for (const c of commits) await c();
    if (cfg !== null) this.opts.onEngineConfig?.(cfg.engine);
    const changes = stepCounts(steps);
    if (path === undefined) this.log.info('reload: no config file; nothing else to do');
    else this.log.info('config reloaded', { file: path, services: this.table.services().length, ...changes });
    return { config: path ?? null, changes };
  }

  /** Stops serving, removes the socket, waits for pending saves. */
  async stop(): Promise<void> {
    if (this.trashTimer !== null) clearInterval(this.trashTimer);
    this.trashTimer = null;
    await this.server?.close();
    this.server = null;
    await this.store?.flush();
    this.log.info('tsvsd stopped');
  }

  private mutationContext(): MutationContext {
    return { table: this.table, dataPlane: () => this.dp };
  }

  private async persist(): Promise<void> {
    if (this.store === null) return;
    try {
      await this.store.save(rulesFileText(this.mutationContext()));
    } catch (e) {
      this.log.error('rules not saved', { error: (e as Error).message });
      throw new TsvsError('ERULES_WRITE', `the change is applied but was not saved: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** The config's [rules] as the state they declare; errors are ECONFIG naming file and line. */
  private async desiredOf(cfg: DaemonConfig): Promise<DesiredRules> {
    try {
      const rules: ParsedRule[] = await parseRuleLines(cfg.ruleLines, this.opts.forward);
      return desiredFromRules(rules, this.opts.findScheduler ?? findScheduler);
    } catch (e) {
      if (e instanceof RuleLineError)
        throw new TsvsError('ECONFIG', `${cfg.path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** What the last applied config declared; null (nothing is removed) when unknown or unreadable. */
  private async loadOwned(): Promise<DesiredRules | null> {
    try {
      const rules = await this.ownedStore?.load((text) => parseRulesText(text, this.opts.forward));
      return rules == null ? null : desiredFromRules(rules, this.opts.findScheduler ?? findScheduler);
    } catch (e) {
      this.log.warn('the rules of the last applied config are unreadable; none are removed this time', {
        file: this.ownedStore?.path,
        error: (e as Error).message,
      });
      return null;
    }
  }

  private async saveOwned(want: DesiredRules): Promise<void> {
    const t = want.timeouts;
    const text =
      '# The rules the last applied tsvsd config declared ([rules]); tsvsd removes what leaves them.\n' +
      formatRules(want.services, { thresholds: true }) +
      (t === null ? '' : formatTimeoutsLine(t.tcp, t.tcpFin, t.udp) + '\n');
    try {
      await this.ownedStore?.save(text);
    } catch (e) {
      this.log.error('the config rules record not saved', { error: (e as Error).message });
    }
  }

  private applyReconcile(steps: readonly Step[]): void {
    applySteps(
      this.table,
      (t) => this.dp.setTimeouts(t),
      () => this.dp.timeouts(),
      steps,
    );
  }

  /** Applies the steps to a scratch copy of the table; throws ECONFIG with what would fail. */
  private dryRun(steps: readonly Step[], path: string): void {
    const scratch = new ServiceTable({ findScheduler: this.opts.findScheduler ?? findScheduler });
    const dp = new MemoryDataPlane();
    dp.setTimeouts(this.dp.timeouts());
    try {
      for (const r of this.table.toRules()) {
        scratch.addService(r.service);
        for (const d of r.dests) scratch.addDest(r.service, d);
      }
      applySteps(
        scratch,
        (t) => dp.setTimeouts(t),
        () => dp.timeouts(),
        steps,
      );
    } catch (e) {
      throw new TsvsError('ECONFIG', `${path}: ${(e as Error).message}`, { cause: e });
    } finally {
      scratch.clear();
    }
  }
}
