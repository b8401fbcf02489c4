// ConfigRules: the daemon's side of reconcile.ts. It reads a config's [rules] as the state they
// declare, remembers what the last applied config declared (in memory and in <rules file>.config,
// so that start reconciles like a reload), plans the steps against the live table, tries them
// on a scratch copy and applies them.

import { TsvsError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { DataPlane } from '../model/data-plane.ts';
import { formatRules, formatTimeoutsLine, RuleLineError } from '../model/rules-format.ts';
import { RulesStore } from '../model/rules-store.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { ServiceTable } from '../model/service-table.ts';
import type { ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import type { DaemonConfig } from './config-file.ts';
import { parseRuleLines, parseRulesText } from './load-rules.ts';
import { MemoryDataPlane } from './memory-data-plane.ts';
import { applySteps, desiredFromRules, planReconcile, type DesiredRules, type Step } from './reconcile.ts';

export const CONFIG_RULES_HEADER =
  '# The rules the last applied tsvsd config declared ([rules]); tsvsd removes what leaves them.\n';

export class ConfigRules {
  /** What the applied config declares (null: not known, nothing is removed). */
  private owned: DesiredRules | null = null;
  private readonly record: RulesStore;

  constructor(
    private readonly table: ServiceTable,
    private readonly dp: () => DataPlane,
    private readonly log: Logger,
    private readonly findScheduler: (name: string) => SchedulerFactory | undefined,
    rulesPath: string,
    private readonly forward?: ForwardLookup,
  ) {
    this.record = new RulesStore(`${rulesPath}.config`);
  }

  /** The config's [rules] as the state they declare; errors are ECONFIG naming file and line. */
  async desiredOf(cfg: DaemonConfig): Promise<DesiredRules> {
    try {
      return desiredFromRules(await parseRuleLines(cfg.ruleLines, this.forward), this.findScheduler);
    } catch (e) {
      if (e instanceof RuleLineError)
        throw new TsvsError('ECONFIG', `${cfg.path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** At start: what the last applied config declared, from its record (unreadable: nothing). */
  async loadRecord(): Promise<void> {
    try {
      const rules = await this.record.load((text) => parseRulesText(text, this.forward));
      this.owned = rules === null ? null : desiredFromRules(rules, this.findScheduler);
    } catch (e) {
      this.log.warn('the rules of the last applied config are unreadable; none are removed this time', {
        file: this.record.path,
        error: (e as Error).message,
      });
      this.owned = null;
    }
  }

  /** The steps to `want`, tried on a scratch copy of the table; throws ECONFIG naming the step. */
  plan(want: DesiredRules, path: string): Step[] {
    const steps = planReconcile(this.table, this.dp().timeouts(), this.owned, want);
    const scratch = new ServiceTable({ findScheduler: this.findScheduler });
    const dp = new MemoryDataPlane();
    dp.setTimeouts(this.dp().timeouts());
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
    return steps;
  }

  /** Applies planned steps to the live table; `want` is from now on what the config owns. */
  apply(steps: readonly Step[], want: DesiredRules): void {
    applySteps(
      this.table,
      (t) => this.dp().setTimeouts(t),
      () => this.dp().timeouts(),
      steps,
    );
    this.owned = want;
  }

  /** Writes the record of what the applied config declares; a failure is logged, not thrown. */
  async saveRecord(): Promise<void> {
    if (this.owned === null) return;
    const t = this.owned.timeouts;
    const text =
      CONFIG_RULES_HEADER +
      formatRules(this.owned.services, { thresholds: true }) +
      (t === null ? '' : formatTimeoutsLine(t.tcp, t.tcpFin, t.udp) + '\n');
    try {
      await this.record.save(text);
    } catch (e) {
      this.log.error('the record of the config rules was not saved', { error: (e as Error).message });
    }
  }

  /** Waits for a pending record save. */
  flush(): Promise<void> {
    return this.record.flush();
  }
}
