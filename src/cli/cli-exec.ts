// execute: one parsed command on an open control connection (the switch at the end of
// process_options() in ipvsadm.c): listings and -S print, set commands become one request.

import { EXIT_KERNEL_ERROR } from '../model/ipvs-errors.ts';
import * as O from '../ipvsadm/argv-options.ts';
import type { Command } from '../ipvsadm/command.ts';
import type { ControlClient } from '../wire/client.ts';
import { commandToRequest } from '../wire/command-request.ts';
import { runList } from './cli-list.ts';
import { EXIT_OK, reportError, type CliIo } from './cli-report.ts';

export async function execute(cmd: Command, client: ControlClient, io: CliIo): Promise<number> {
  if (cmd.cmd === O.CMD_LIST || cmd.cmd === O.CMD_SAVE) return runList(cmd, client, io);
  const req = commandToRequest(cmd);
  if (req === null) return EXIT_OK;
  try {
    await client.request(req.op, req.args);
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, EXIT_KERNEL_ERROR);
  }
}
