// TsvsDaemon: the control-plane half of tsvsd. On start it restores the rules file (strict:
// a bad file stops the start and is left as it is), re-asserts the config's [rules], saves,
// and serves the control socket; every change is saved before it is acknowledged. reload()
// (SIGHUP) re-reads the config and applies it only if all of it is valid, so a broken config
// never drops state. The packet engine plugs in through attachDataPlane(); until then a
// MemoryDataPlane stands in.

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

  attachDataPlane(dp: DataPlane): void {
    dp.setTimeouts(this.dp.timeouts());
    this.dp = dp;
    this.log.info('data plane attached', { connTableSize: dp.connTableSize() });
  }

  async start(): Promise<void> {
    if (this.opts.configPath !== undefined) this.config = await readConfig(this.opts.configPath);
    this.rulesFile = this.opts.rulesPath ?? this.config?.rulesPath ?? DEFAULT_RULES_PATH;
    this.socketFile = this.opts.socketPath ?? this.config?.socketPath ?? DEFAULT_SOCKET_PATH;
    const configRules = this.config ? await this.parseConfigRules(this.config) : [];
    this.store = new RulesStore(this.rulesPath);
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
    this.applyConfigRules(configRules);
    await this.persist();
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
        return handlers.handle(op, args);
      },
      onProtocolError: (message) => this.log.warn(message),
    });
    await this.server.listen();
    // ip_vs_dest_trash_expire() runs every IP_VS_DEST_TRASH_PERIOD / 2.
    this.trashTimer = setInterval(() => this.table.expireTrash(), 60_000);
    this.trashTimer.unref();
    this.log.info('tsvsd listening', { socket: this.socketPath, rules: this.rulesPath });
  }

  /** SIGHUP: re-read the config; if any of it is wrong, log it and keep everything as it is. */
  async reload(): Promise<boolean> {
    const path = this.opts.configPath;
    if (path === undefined) {
      this.log.info('reload: no config file; nothing to do');
      return true;
    }
    try {
      const cfg = await readConfig(path);
      const rules = await this.parseConfigRules(cfg);
      this.dryRun(rules, cfg);
      if (
        (cfg.rulesPath ?? this.rulesFile) !== this.rulesFile ||
        (cfg.socketPath ?? this.socketFile) !== this.socketFile
      ) {
        this.log.warn('reload: socket and rules paths take effect at the next start only');
      }
      this.config = cfg;
      this.applyConfigRules(rules);
      await this.persist();
      this.opts.onEngineConfig?.(cfg.engine);
      this.log.info('config reloaded', { file: path, services: this.table.services().length });
      return true;
    } catch (e) {
      this.log.error('reload failed; keeping the running configuration', { error: (e as Error).message });
      return false;
    }
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

  private async parseConfigRules(cfg: DaemonConfig): Promise<ParsedRule[]> {
    try {
      return await parseRuleLines(cfg.ruleLines, this.opts.forward);
    } catch (e) {
      if (e instanceof RuleLineError)
        throw new TsvsError('ECONFIG', `${cfg.path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  private applyConfigRules(rules: readonly ParsedRule[]): void {
    if (rules.length === 0 || this.config === null) return;
    const path = this.config.path;
    try {
      applyRules(this.mutationContext(), rules, 'ensure');
    } catch (e) {
      if (e instanceof RuleLineError) throw new TsvsError('ECONFIG', `${path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Applies the current rules and then `rules` to a scratch table; throws what would fail. */
  private dryRun(rules: readonly ParsedRule[], cfg: DaemonConfig): void {
    const scratch = new ServiceTable({ findScheduler: this.opts.findScheduler ?? findScheduler });
    const dp = new MemoryDataPlane();
    dp.setTimeouts(this.dp.timeouts());
    const ctx: MutationContext = { table: scratch, dataPlane: () => dp };
    try {
      for (const r of this.table.toRules()) {
        scratch.addService(r.service);
        for (const d of r.dests) scratch.addDest(r.service, d);
      }
      applyRules(ctx, rules, 'ensure');
    } catch (e) {
      if (e instanceof RuleLineError)
        throw new TsvsError('ECONFIG', `${cfg.path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    } finally {
      scratch.clear();
    }
  }
}
