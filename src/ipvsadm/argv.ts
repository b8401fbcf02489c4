// parseArgv: an ipvsadm command line to a Command, mirroring parse_options() and the checks of
// process_options() in ipvsadm.c (1.31): the first option must be a command; each option is
// checked as it is read (fail(2, ...)); popt errors exit 255; then --set values, leftovers,
// -b flags, the commands_v_options grid, and the per-command rules (zero port needs -p, -o is
// for UDP, DR/TUN real servers take the service port, list option conflicts).

import { synproxyFlagsOf } from '../model/synproxy-state.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import * as O from './argv-options.ts';
import * as T from './argv-option-table.ts';
import { ArgvExit, EXIT_TRYHELP, fail, tryhelpExit } from './argv-exit.ts';
import { PoptContext, poptStrerror } from './argv-popt.ts';
import { checkCommand } from './argv-checks.ts';
import type { Command } from './command.ts';
import { usageText, versionText } from './usage.ts';
import { systemServices, type ServicesDb } from './services-db.ts';
import { parseSchedFlags, parseTimeout, type HostTable } from './argv-values.ts';
import { newDraft } from './argv-draft.ts';
import { applyOption } from './argv-option.ts';

export interface ParseOptions {
  /** argv[0] as ipvsadm prints it in "Try `%s -h'..."; "tsvsadm". */
  readonly program?: string;
  /** Pre-resolved host names (resolve-hosts.ts fills them). */
  readonly hosts?: HostTable;
  readonly services?: ServicesDb;
  /** True while reading -R input (a nested -R is refused like ipvsadm's restore_table()). */
  readonly readingStdin?: boolean;
}

const COMMAND_OF_TAG = new Map<number, number>([
  [T.tag('A'), O.CMD_ADD],
  [T.tag('E'), O.CMD_EDIT],
  [T.tag('D'), O.CMD_DEL],
  [T.tag('a'), O.CMD_ADDDEST],
  [T.tag('e'), O.CMD_EDITDEST],
  [T.tag('d'), O.CMD_DELDEST],
  [T.tag('C'), O.CMD_FLUSH],
  [T.tag('L'), O.CMD_LIST],
  [T.tag('l'), O.CMD_LIST],
  [T.tag('Z'), O.CMD_ZERO],
  [T.TAG_SET, O.CMD_TIMEOUT],
  [T.tag('R'), O.CMD_RESTORE],
  [T.tag('S'), O.CMD_SAVE],
  [T.TAG_START_DAEMON, O.CMD_STARTDAEMON],
  [T.TAG_STOP_DAEMON, O.CMD_STOPDAEMON],
]);

/** `argv` excludes the program name. Throws ArgvExit for help, version and every usage error. */
export function parseArgv(argv: readonly string[], opts: ParseOptions = {}): Command {
  const program = opts.program ?? 'tsvsadm';
  const hosts: HostTable = opts.hosts ?? new Map();
  const services = opts.services ?? systemServices();
  const d = newDraft();
  const { svc, dest } = d;
  const timeouts = { tcp: 0, tcpFin: 0, udp: 0 };
  let daemonState: 'master' | 'backup' | null = null;

  const popt = new PoptContext(argv, T.OPTION_TABLE);

  // The first option must be the command.
  const first = popt.next();
  if (first === null || 'error' in first) tryhelpExit(program);
  if (first.tag === T.tag('h')) throw new ArgvExit(0, usageText(program), true);
  if (first.tag === T.tag('v')) throw new ArgvExit(0, versionText(), true);
  const cmd = COMMAND_OF_TAG.get(first.tag);
  if (cmd === undefined) tryhelpExit(program);
  if (cmd === O.CMD_STARTDAEMON || cmd === O.CMD_STOPDAEMON) {
    if (first.arg === 'master' || first.arg === 'backup') daemonState = first.arg;
    else if (cmd === O.CMD_STARTDAEMON) fail(2, 'illegal start-daemon parameter specified');
    else fail(2, 'illegal start_daemon specified');
  }

  for (let c = popt.next(); c !== null; c = popt.next()) {
    if ('error' in c) {
      throw new ArgvExit(EXIT_TRYHELP, `${popt.badOption()}: ${poptStrerror(c.error)}\n`);
    }
    // A second command, -h or -v after the command.
    if (!applyOption(d, c.tag, c.arg, hosts, services)) fail(2, `invalid option \`${popt.badOption()}'`);
  }

  if (cmd === O.CMD_TIMEOUT) {
    const a = popt.nextArg();
    const b = a === null ? null : popt.nextArg();
    const c = b === null ? null : popt.nextArg();
    if (a === null || b === null || c === null) fail(2, '--set option requires 3 timeout values');
    timeouts.tcp = parseTimeout(a, 0, O.MAX_TIMEOUT);
    timeouts.tcpFin = parseTimeout(b, 0, O.MAX_TIMEOUT);
    timeouts.udp = parseTimeout(c, 0, O.MAX_TIMEOUT);
  }
  const extra = popt.nextArg();
  if (extra !== null) fail(2, `unexpected argument ${extra}`);

  if (d.schedFlagsArg !== '') {
    svc.flags &= ~(SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3);
    svc.flags |= parseSchedFlags(svc.schedName, d.schedFlagsArg);
  }

  checkCommand(cmd, d.options, svc, dest, d.tunType);
  if (d.synproxyArg !== null) {
    if (cmd !== O.CMD_ADD && cmd !== O.CMD_EDIT) fail(2, '--synproxy is only for -A and -E');
    const bits = synproxyFlagsOf(d.synproxyArg);
    if (bits < 0) fail(2, `illegal synproxy mode ${d.synproxyArg} (auto, always or never)`);
    if (svc.protocol !== IPPROTO_TCP || svc.fwmark !== 0) fail(2, '--synproxy is only for TCP services (-t)');
    svc.flags |= bits;
  }

  if (cmd === O.CMD_RESTORE && opts.readingStdin === true) tryhelpExit(program); // "avoid infinite loop"

  const { options, format, daemon, tunType } = d;
  return { cmd, options, format, svc, dest, timeouts, daemonState, daemon, tunType };
}
