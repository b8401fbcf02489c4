// tsvsadm -R: restore_table() of ipvsadm.c. Each stdin line is parsed like a command line
// (config_stream_read() splitting, "ipvsadm" words dropped). Set commands are sent to tsvsd in
// one batch that it applies in order and saves once; a failing line prints its error and the
// rest go on. A line that does not parse stops the restore with fail()'s message and status,
// after the lines before it were applied. The exit status is that of the last line.

import { splitRuleLines } from '../model/rules-format.ts';
import { EXIT_KERNEL_ERROR } from '../model/ipvs-errors.ts';
import * as O from '../ipvsadm/argv-options.ts';
import { ArgvExit } from '../ipvsadm/argv-exit.ts';
import type { ControlClient } from '../wire/client.ts';
import { commandToRequest, type OpRequest } from '../wire/command-request.ts';
import { parseArgvResolving } from '../ipvsadm/resolve-hosts.ts';
import { execute } from './cli-exec.ts';
import { PROGRAM, type CliIo } from './cli-report.ts';
import type { BatchItemResult } from '../wire/wire.ts';

export async function runRestore(text: string, client: ControlClient, io: CliIo): Promise<number> {
  let batch: OpRequest[] = [];
  let result = 0;

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sent = batch;
    batch = [];
    const res = await client.request<{ results: BatchItemResult[] }>('batch', { requests: sent });
    for (const r of res.results) {
      if (r.ok) {
        result = 0;
      } else {
        io.stderr(`${r.error.message}\n`);
        result = EXIT_KERNEL_ERROR;
      }
    }
  };

  for (const { tokens } of splitRuleLines(text)) {
    let cmd;
    try {
      const opts = {
        program: PROGRAM,
        readingStdin: true,
        ...(io.forward ? { forward: io.forward } : {}),
        ...(io.services ? { services: io.services } : {}),
      };
      cmd = await parseArgvResolving(tokens, opts);
    } catch (e) {
      if (!(e instanceof ArgvExit)) throw e;
      await flush();
      if (e.toStdout) io.stdout(e.text);
      else io.stderr(e.text);
      return e.exitCode;
    }
    const req = commandToRequest(cmd);
    if (req !== null && cmd.cmd !== O.CMD_STARTDAEMON && cmd.cmd !== O.CMD_STOPDAEMON) {
      batch.push(req);
    } else {
      await flush();
      result = await execute(cmd, client, io);
    }
  }
  await flush();
  return result;
}
