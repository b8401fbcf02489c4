// runTsvsadm: the ipvsadm-compatible CLI (main() and process_options() of ipvsadm.c): argv to
// a request to tsvsd, output in ipvsadm's formats, ipvsadm's exit statuses: 0 ok, 2 usage
// (fail(2,...)), 255 popt/tryhelp errors and failed set operations, 1 failed listings; and 1
// when tsvsd cannot be reached. Without arguments it lists the table, like ipvsadm.

import * as O from '../ipvsadm/argv-options.ts';
import { ArgvExit } from '../ipvsadm/argv-exit.ts';
import type { Command } from '../ipvsadm/command.ts';
import { ControlClient, socketPath } from '../wire/client.ts';
import { parseArgvResolving } from '../ipvsadm/resolve-hosts.ts';
import { runRestore } from './cli-restore.ts';
import { execute } from './cli-exec.ts';
import { EXTENSIONS, runExtension } from './cli-extensions.ts';
import { RELOAD_FLAG, runReload } from './cli-reload.ts';
import { ANNOUNCE_FLAG, announceUsageError, runAnnounce } from './cli-announce.ts';
import { isVrrpStateCommand, runVrrpState, vrrpStateUsageError } from './cli-vrrp.ts';
import { EXIT_FAILURE, PROGRAM, reportError, type CliIo } from './cli-report.ts';

export type { CliIo } from './cli-report.ts';

/** Takes tsvs's own --socket PATH / --socket=PATH out of argv (valid with any command). */
export function extractSocketFlag(argv: readonly string[]): { argv: string[]; socket: string | undefined } {
  const rest: string[] = [];
  let socket: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--socket' && i + 1 < argv.length) socket = argv[++i];
    else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else rest.push(a);
  }
  return { argv: rest, socket };
}

async function withClient<T>(path: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect(path);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export async function runTsvsadm(rawArgv: readonly string[], io: CliIo): Promise<number> {
  const { argv, socket } = extractSocketFlag(rawArgv);
  const path = socketPath(socket, io.env);
  let cmd: Command;
  if (argv.length === 1 && argv[0] === RELOAD_FLAG) {
    try {
      return await withClient(path, (c) => runReload(c, io));
    } catch (e) {
      return reportError(io, e, EXIT_FAILURE);
    }
  }
  if (argv[0] === ANNOUNCE_FLAG) {
    const usage = announceUsageError(argv.slice(1));
    if (usage !== null) {
      io.stderr(usage);
      return 2;
    }
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      return await runAnnounce({ socket: path, up: argv[1]!, down: argv[2]!, io, stop: stop.signal });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
  if (isVrrpStateCommand(argv)) {
    const usage = vrrpStateUsageError(argv.slice(1));
    if (usage !== null) {
      io.stderr(usage);
      return 2;
    }
    try {
      return await withClient(path, (c) => runVrrpState(c, io, argv.slice(1)));
    } catch (e) {
      return reportError(io, e, EXIT_FAILURE);
    }
  }
  if (
    argv.length >= 1 &&
    (EXTENSIONS as readonly string[]).includes(argv[0]!) &&
    (argv.length === 1 || argv[0] === '--capture' || argv[0] === '--top')
  ) {
    try {
      return await withClient(path, (c) => runExtension(argv[0]!, c, io, argv.slice(1)));
    } catch (e) {
      return reportError(io, e, EXIT_FAILURE);
    }
  }
  if (argv.length === 0) {
    cmd = await parseArgvResolving(['-L'], { program: PROGRAM, ...(io.services ? { services: io.services } : {}) });
  } else {
    try {
      const opts = {
        program: PROGRAM,
        ...(io.forward ? { forward: io.forward } : {}),
        ...(io.services ? { services: io.services } : {}),
        ...(io.resolveTimeoutMs ? { timeoutMs: io.resolveTimeoutMs } : {}),
        ...(io.timers ? { timers: io.timers } : {}),
      };
      cmd = await parseArgvResolving(argv, opts);
    } catch (e) {
      if (e instanceof ArgvExit) {
        if (e.toStdout) io.stdout(e.text);
        else io.stderr(e.text);
        return e.exitCode;
      }
      throw e;
    }
  }
  try {
    if (cmd.cmd === O.CMD_RESTORE) {
      const text = await io.readStdin();
      return await withClient(path, (c) => runRestore(text, c, io));
    }
    return await withClient(path, (c) => execute(cmd, c, io));
  } catch (e) {
    return reportError(io, e, EXIT_FAILURE);
  }
}
