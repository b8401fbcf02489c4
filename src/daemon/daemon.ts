// TsvsDaemon: the control-plane half of tsvsd. On start it restores the rules file (daemon-rules.ts:
// a bad file stops the start and is left as it is), reconciles the table with the config's
// [rules] (config-rules.ts, reconcile.ts), saves, and serves the control socket; every change is
// saved before it is acknowledged. reload() (SIGHUP, the `reload` op) re-reads the config and
// reconciles again only if all of it is valid (checked on a scratch table, and by every reload
// hook), so a broken config never drops state. The packet engine plugs in through
// attachDataPlane(); until then a MemoryDataPlane stands in.

import { TsvsError } from '../lib/errors.ts';
import { ServiceTable } from '../model/service-table.ts';
import { DEFAULT_RULES_PATH } from '../model/rules-store.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import type { DataPlane } from '../model/data-plane.ts';
import { MemoryDataPlane } from './memory-data-plane.ts';
import { ControlHandlers, type MutationContext } from './handlers.ts';
import { ControlServer, DEFAULT_SOCKET_PATH } from '../wire/socket.ts';
import { readConfig, type DaemonConfig } from './config-file.ts';
import { DaemonRules } from './daemon-rules.ts';
import { ConfigRules } from './config-rules.ts';
import { Reloader, type ReloadHook, type ReloadSummary } from './reload.ts';
import { resolveGroup } from './config-daemon.ts';
import { LEVELS, type Level, type Logger } from '../lib/logger.ts';
import type { ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import { findScheduler } from '../sched/registry.ts';
import { StartGate } from './start-gate.ts';

export interface DaemonOptions {
  readonly logger: Logger;
  readonly configPath?: string;
  /** Flags win over the config's [daemon] settings, which win over the defaults. */
  readonly rulesPath?: string;
  readonly socketPath?: string;
  /** --log-level: when set, the config's log-level is not applied. */
  readonly logLevel?: Level;
  readonly findScheduler?: (name: string) => SchedulerFactory | undefined;
  readonly dataPlane?: DataPlane;
  readonly forward?: ForwardLookup;
  /** Called with the [engine] settings on start and on every successful reload. */
  readonly onEngineConfig?: (cfg: EngineConfig) => void;
}

/** Extra control ops served next to the ipvsadm ones (engine trace and stats, health states). */
export type ExtraOp = (args: Record<string, unknown>) => unknown;

export class TsvsDaemon {
  readonly table: ServiceTable;
  private dp: DataPlane;
  private readonly log: Logger;
  private readonly opts: DaemonOptions;
  private rules: DaemonRules | null = null;
  private server: ControlServer | null = null;
  private config: DaemonConfig | null = null;
  private rulesFile: string;
  private socketFile: string;
  private readonly extraOps = new Map<string, ExtraOp>();
  /** Requests for ops the start adds, asked before it added them (start-gate.ts). */
  readonly startGate = new StartGate();
  private trashTimer: NodeJS.Timeout | null = null;
  private configRules: ConfigRules | null = null;
  private readonly reloadHooks: ReloadHook[] = [];
  private reloader: Reloader | null = null;

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

  /** Serve another control op (engine.stats, trace, health, ...). */
  addOp(name: string, fn: ExtraOp): void {
    this.extraOps.set(name, fn);
  }

  /** Reload this part with the config (see ReloadHook). */
  addReloadHook(hook: ReloadHook): void {
    this.reloadHooks.push(hook);
  }

  /**
   * The engine hook: from now on `dp` answers for connections, rates and timeouts. The
   * timeouts set so far (--set, the rules file) are handed over to it.
   */
  attachDataPlane(dp: DataPlane): void {
    dp.setTimeouts(this.dp.timeouts());
    this.dp = dp;
    this.log.info('data plane attached', { connTableSize: dp.connTableSize() });
  }

  /** The config's [daemon] log-level (default info), unless --log-level set one. */
  private applyLogLevel(): void {
    if (this.opts.logLevel !== undefined) return;
    const want = this.config?.logLevel ?? 'info';
    const from = this.log.level;
    if (want === from) return;
    // Said at info under the more verbose of the two levels, so that a move from info is seen.
    const quieter = LEVELS.indexOf(want) > LEVELS.indexOf(from);
    if (!quieter) this.log.level = want;
    this.log.info('log level set', { from, to: want });
    this.log.level = want;
  }

  /** prepare() then listen(): the config, the rules, then the control socket. */
  async start(): Promise<void> {
    await this.prepare();
    await this.listen();
  }

  /** Reads the config and the rules into the table; nothing is served yet. */
  async prepare(): Promise<void> {
    if (this.opts.configPath !== undefined) this.config = await readConfig(this.opts.configPath);
    this.applyLogLevel();
    this.rulesFile = this.opts.rulesPath ?? this.config?.rulesPath ?? DEFAULT_RULES_PATH;
    this.socketFile = this.opts.socketPath ?? this.config?.socketPath ?? DEFAULT_SOCKET_PATH;
    const cr = new ConfigRules(
      this.table,
      () => this.dp,
      this.log,
      this.opts.findScheduler ?? findScheduler,
      this.rulesPath,
      this.opts.forward,
    );
    this.configRules = cr;
    this.reloader = new Reloader({
      configPath: this.opts.configPath,
      configRules: cr,
      log: this.log,
      hooks: this.reloadHooks,
      running: () => ({ config: this.config, rulesFile: this.rulesFile, socketFile: this.socketFile }),
      adopt: (cfg) => {
        this.config = cfg;
        this.applyLogLevel();
      },
      persist: () => this.persist(),
      serviceCount: () => this.table.services().length,
      onEngineConfig: this.opts.onEngineConfig,
    });
    const want = this.config ? await cr.desiredOf(this.config) : null;
    this.rules = new DaemonRules(this.rulesPath, this.mutationContext(), this.log, this.opts.forward);
    await this.rules.restore();
    if (want !== null) {
      await cr.loadRecord();
      cr.apply(cr.plan(want, this.config!.path), want);
    }
    await this.persist();
    await cr.saveRecord();
    if (this.config !== null) this.opts.onEngineConfig?.(this.config.engine);
  }

  /**
   * Serves the control socket. `waitMs`: how long another tsvsd may still be listening on it
   * (one handing over, which stops listening as it exits) before this one gives up (EALREADY).
   */
  async listen(waitMs = 0): Promise<void> {
    const ctx = this.mutationContext();
    const access = this.config?.socketAccess;
    const gid = access?.group !== undefined ? resolveGroup(access.group) : undefined;
    const handlers = new ControlHandlers({ ...ctx, persist: () => this.persist() });
    this.server = new ControlServer({
      path: this.socketPath,
      handle: (op, args) => {
        this.log.debug('control request', { op });
        const dispatch = (): Promise<unknown> => {
          const extra = this.extraOps.get(op);
          if (extra !== undefined)
            return Promise.resolve(
              extra(typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {}),
            );
          if (op === 'reload') return this.reloadOrThrow();
          return handlers.handle(op, args);
        };
        const held = this.startGate.before(op, this.extraOps.has(op));
        return held === null ? dispatch() : held.then(dispatch);
      },
      onProtocolError: (message) => this.log.warn(message),
      onWarning: (message) => this.log.warn(message),
      ...(gid !== undefined ? { gid } : {}),
      ...(access?.mode !== undefined ? { mode: access.mode } : {}),
    });
    await this.server.listen(waitMs);
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
    if (this.reloader === null) return Promise.reject(new TsvsError('ERELOAD', 'tsvsd has not started'));
    return this.reloader.reload();
  }

  /**
   * Stops serving, removes the socket (kept when `handingOver`: the successor replaces it), waits
   * for pending saves.
   */
  async stop(handingOver = false): Promise<void> {
    if (this.trashTimer !== null) clearInterval(this.trashTimer);
    this.trashTimer = null;
    await this.server?.close(handingOver);
    this.server = null;
    await this.rules?.flush();
    await this.configRules?.flush();
    this.log.info('tsvsd stopped');
  }

  private mutationContext(): MutationContext {
    return { table: this.table, dataPlane: () => this.dp };
  }

  private async persist(): Promise<void> {
    await this.rules?.save();
  }
}
