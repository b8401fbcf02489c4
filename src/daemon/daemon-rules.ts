// DaemonRules: tsvsd's rules file, what ipvsadm-restore reads at boot and ipvsadm-save writes
// (ipvsadm's ipvsadm-save / ipvsadm-restore scripts): restored strictly at start (a bad file stops
// the start and is left as it is for the operator) and rewritten after every change, before the
// change is acknowledged.

import { TsvsError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { RulesStore } from '../model/rules-store.ts';
import { RuleLineError } from '../model/rules-format.ts';
import type { ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import type { MutationContext } from './handlers.ts';
import { applyRules, parseRulesText, rulesFileText } from './load-rules.ts';

export class DaemonRules {
  private readonly store: RulesStore;

  /** The rules file at path for the table in ctx; forward resolves host names in it. */
  constructor(
    readonly path: string,
    private readonly ctx: MutationContext,
    private readonly log: Logger,
    private readonly forward: ForwardLookup | undefined,
  ) {
    this.store = new RulesStore(path);
  }

  /**
   * Applies the saved rules to the table, if the file exists. A line that does not parse or apply
   * throws ERULES_CORRUPT naming the file and line; the file is not touched.
   */
  async restore(): Promise<void> {
    const saved = await this.store.load((text) => parseRulesText(text, this.forward));
    if (saved === null) return;
    try {
      applyRules(this.ctx, saved, 'strict');
    } catch (e) {
      if (e instanceof RuleLineError)
        throw new TsvsError('ERULES_CORRUPT', `${this.path}:${e.line}: ${e.message}`, { cause: e });
      throw e;
    }
    this.log.info('rules restored', { file: this.path, services: this.ctx.table.services().length });
  }

  /** Writes the table as it is now; ERULES_WRITE when it cannot (the change stays applied). */
  async save(): Promise<void> {
    try {
      await this.store.save(rulesFileText(this.ctx));
    } catch (e) {
      this.log.error('rules not saved', { error: (e as Error).message });
      throw new TsvsError('ERULES_WRITE', `the change is applied but was not saved: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  /** Resolves once the pending saves are written. */
  flush(): Promise<void> {
    return this.store.flush();
  }
}
