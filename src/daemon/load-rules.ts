// Rules text on the daemon side: parse ipvsadm -S/-R lines (the rules file, the [rules] of the
// config) into set requests with their line numbers, apply them to the service table, and
// write the table back as the rules file. Errors are RuleLineErrors naming the line.

import { TsvsError } from '../lib/errors.ts';
import {
  formatRules,
  formatTimeoutsLine,
  RuleLineError,
  splitRuleLines,
  type RuleLine,
} from '../model/rules-format.ts';
import * as O from '../ipvsadm/argv-options.ts';
import { ArgvExit } from '../ipvsadm/argv-exit.ts';
import { commandToRequest, type OpRequest } from '../wire/command-request.ts';
import { applyMutation, type MutationContext } from './handlers.ts';
import { parseArgvResolving, type ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import { isStartDaemonLine } from './sync-request.ts';

export interface ParsedRule {
  readonly line: number;
  readonly req: OpRequest;
}

const RULE_COMMANDS = new Set([
  O.CMD_ADD,
  O.CMD_EDIT,
  O.CMD_DEL,
  O.CMD_FLUSH,
  O.CMD_ADDDEST,
  O.CMD_EDITDEST,
  O.CMD_DELDEST,
  O.CMD_TIMEOUT,
]);

/**
 * Each line as an ipvsadm command line; only set commands are allowed in rules. `--start-daemon`
 * lines (connection sync at boot, src/daemon/sync-request.ts) are left to the sync wiring.
 */
export async function parseRuleLines(lines: readonly RuleLine[], forward?: ForwardLookup): Promise<ParsedRule[]> {
  const out: ParsedRule[] = [];
  for (const l of lines) {
    if (isStartDaemonLine(l)) continue;
    const { line, tokens } = l;
    let cmd;
    try {
      cmd = await parseArgvResolving(tokens, {
        program: 'tsvsadm',
        readingStdin: true,
        ...(forward ? { forward } : {}),
      });
    } catch (e) {
      if (e instanceof ArgvExit) throw new RuleLineError(line, e.message, e.code, { cause: e });
      throw e;
    }
    const req = commandToRequest(cmd);
    if (req === null || !RULE_COMMANDS.has(cmd.cmd)) {
      throw new RuleLineError(line, 'only -A, -E, -D, -C, -a, -e, -d and --set lines may appear in rules', 'EBADRULE');
    }
    out.push({ line, req });
  }
  return out;
}

export function parseRulesText(text: string, forward?: ForwardLookup): Promise<ParsedRule[]> {
  return parseRuleLines(splitRuleLines(text), forward);
}

/**
 * Applies parsed rules in order. 'strict' fails on the first error (restoring our own rules
 * file); 'ensure' turns -A/-a of something that exists into -E/-e, so that config rules can be
 * re-asserted over the current table.
 */
export function applyRules(ctx: MutationContext, rules: readonly ParsedRule[], mode: 'strict' | 'ensure'): void {
  for (const { line, req } of rules) {
    try {
      try {
        applyMutation(ctx, req.op, req.args);
      } catch (e) {
        if (mode !== 'ensure' || !(e instanceof TsvsError) || e.code !== 'EEXIST') throw e;
        if (req.op === 'service.add') applyMutation(ctx, 'service.edit', req.args);
        else if (req.op === 'dest.add') applyMutation(ctx, 'dest.edit', req.args);
        else throw e;
      }
    } catch (e) {
      if (e instanceof TsvsError) throw new RuleLineError(line, e.message, e.code, { cause: e });
      throw e;
    }
  }
}

export const RULES_FILE_HEADER =
  '# tsvs rules, saved by tsvsd after every change (ipvsadm -S format plus -x/-y and --set).\n' +
  '# Real servers are listed oldest first so that restoring rebuilds the scheduling order.\n';

/** The rules file: every service and real server, then the timeouts. */
export function rulesFileText(ctx: MutationContext): string {
  const t = ctx.dataPlane().timeouts();
  return (
    RULES_FILE_HEADER +
    formatRules(ctx.table.toRules(), { thresholds: true }) +
    formatTimeoutsLine(t.tcpSec, t.tcpFinSec, t.udpSec) +
    '\n'
  );
}
