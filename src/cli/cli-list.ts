// The listing commands of tsvsadm: list_conn(), list_service(), list_timeout(), list_daemon()
// and list_all() of ipvsadm.c (-L, -Lc, -L -t ..., --timeout, --daemon, -S). Failures print
// ipvs_strerror() text and exit 1, as ipvsadm's listing paths do.

import * as O from '../ipvsadm/argv-options.ts';
import type { Command } from '../ipvsadm/command.ts';
import type { ControlClient } from '../wire/client.ts';
import { formatListAll, formatListService } from './format.ts';
import { formatConns, formatTimeouts } from './format-conn.ts';
import { formatDaemons } from './format-daemon.ts';
import { NUMERIC_NAMES, ResolvedNames, resolveHostNames, type Names, type ReverseLookup } from './names.ts';
import { serviceKeyToWire } from '../wire/spec-to-wire.ts';
import type { ConnInfo, ListResult, Timeouts } from '../wire/wire.ts';
import type { ServicesDb } from '../ipvsadm/services-db.ts';
import type { Timers } from '../lib/timers.ts';
import { reportError, EXIT_FAILURE, EXIT_OK } from './cli-report.ts';

export interface ListIo {
  stdout(s: string): void;
  stderr(s: string): void;
  readonly reverse?: ReverseLookup;
  readonly resolveTimeoutMs?: number;
  readonly timers?: Timers;
  readonly services?: ServicesDb;
}

async function namesFor(format: number, addrs: Iterable<string>, io: ListIo): Promise<Names> {
  if (format & O.FMT_NUMERIC) return NUMERIC_NAMES;
  return new ResolvedNames(await resolveHostNames(addrs, io.resolveTimeoutMs, io.reverse, io.timers), io.services);
}

function listAddrs(res: ListResult): string[] {
  const out: string[] = [];
  for (const s of res.services) {
    if (s.fwmark === 0) out.push(s.addr);
    for (const d of s.dests) out.push(d.addr);
  }
  return out;
}

export async function runList(cmd: Command, client: ControlClient, io: ListIo): Promise<number> {
  const format = cmd.cmd === O.CMD_SAVE ? cmd.format | O.FMT_RULE : cmd.format;
  try {
    if (cmd.cmd === O.CMD_LIST && cmd.options.has(O.OPTC_CONNECTION)) {
      const conns = await client.request<ConnInfo[]>('conns');
      const names = await namesFor(
        format,
        conns.flatMap((c) => [c.caddr, c.vaddr, c.daddr]),
        io,
      );
      io.stdout(formatConns(conns, format, names));
      return EXIT_OK;
    }
    if (cmd.cmd === O.CMD_LIST && cmd.options.has(O.OPTC_SERVICE)) {
      const res = await client.request<ListResult>('list', { service: serviceKeyToWire(cmd.svc) });
      const svc = res.services[0];
      if (svc === undefined) return EXIT_FAILURE;
      io.stdout(formatListService(svc, format, await namesFor(format, listAddrs(res), io)));
      return EXIT_OK;
    }
    if (cmd.cmd === O.CMD_LIST && cmd.options.has(O.OPTC_TIMEOUT)) {
      io.stdout(formatTimeouts(await client.request<Timeouts>('timeouts.get')));
      return EXIT_OK;
    }
    if (cmd.cmd === O.CMD_LIST && cmd.options.has(O.OPTC_DAEMON)) {
      // list_daemon(): one line per running sync daemon, master first.
      const daemons = await client.request<unknown>('daemon.list');
      io.stdout(formatDaemons(daemons, false));
      return EXIT_OK;
    }
    const res = await client.request<ListResult>('list');
    io.stdout(formatListAll(res, format, await namesFor(format, listAddrs(res), io)));
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, EXIT_FAILURE);
  }
}
