// vrrp-fifo: tsvsd reads keepalived's notify FIFO itself ([engine] vrrp-notify-fifo PATH), so a
// VRRP state change reaches the engine without a process start. keepalived writes one line per
// change of each instance (keepalived/vrrp/vrrp_notify.c notify_fifo: `INSTANCE "VI_1" MASTER 150`,
// also GROUP and INTERFACE lines) to the FIFO of global_defs notify_fifo / vrrp_notify_fifo, which
// it opens O_RDWR | O_NONBLOCK and creates only when it does not exist (keepalived/core/notify.c
// fifo_open). tsvsd opens it the same way:
//
//   - it creates the FIFO when missing (mkfifo, mode 0600), so keepalived started after it finds
//     the FIFO and leaves it in place when it exits (it unlinks only a FIFO it created);
//   - O_RDWR: tsvsd is a writer too, so it never sees end-of-file when keepalived exits or
//     restarts, and the open does not wait for one;
//   - lines are applied in the order keepalived wrote them (a BACKUP then MASTER pair at
//     sub-second adverts cannot land in the wrong order, as forked notify scripts can).
//
// Every INSTANCE line is followed: run one vrrp_instance per tsvsd (or a vrrp_sync_group, whose
// instances change together). Other lines, and states tsvsd has no meaning for, are counted.

import { execFileSync } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { TsvsError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { parseVrrpState, type VrrpState } from './vrrp-state.ts';

/** What the reader applies a state to (VrrpStateKeeper). */
export interface VrrpStateSink {
  set(next: VrrpState): unknown;
}

export interface VrrpFifoReader {
  readonly path: string;
  /** INSTANCE lines applied, and lines ignored (other kinds, unknown states, malformed). */
  readonly stats: { applied: number; ignored: number };
  close(): void;
}

/** `INSTANCE "name" STATE priority`: the instance's name and state word; null for any other line. */
export function parseFifoLine(line: string): { instance: string; state: string } | null {
  const m = /^INSTANCE\s+"([^"]*)"\s+(\S+)(\s+\d+)?\s*$/.exec(line);
  return m === null ? null : { instance: m[1]!, state: m[2]! };
}

/** Creates the FIFO when missing; refuses a path that is something else. */
function ensureFifo(path: string): void {
  let isFifo: boolean;
  try {
    isFifo = lstatSync(path).isFIFO();
  } catch {
    try {
      execFileSync('mkfifo', ['-m', '0600', path], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new TsvsError('ECONFIG', `vrrp-notify-fifo ${path}: cannot create the FIFO: ${(e as Error).message}`, {
        cause: e,
      });
    }
    return;
  }
  if (!isFifo) throw new TsvsError('ECONFIG', `vrrp-notify-fifo ${path} exists and is not a FIFO`);
}

export function followVrrpFifo(path: string, keeper: VrrpStateSink, log: Logger): VrrpFifoReader {
  ensureFifo(path);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  let sock: net.Socket;
  try {
    sock = new net.Socket({ fd, readable: true, writable: false });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  sock.on('error', (e) => log.warn('vrrp-notify-fifo read error', { path, error: e.message }));
  const stats = { applied: 0, ignored: 0 };
  const lines = createInterface({ input: sock, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const p = parseFifoLine(line);
    const state = p === null ? null : parseVrrpState(p.state);
    if (p === null || state === null) {
      stats.ignored++;
      log.debug('vrrp-notify-fifo line ignored', { line });
      return;
    }
    stats.applied++;
    keeper.set(state);
  });
  log.info("following keepalived's notify FIFO", { path });
  return {
    path,
    stats,
    close() {
      lines.close();
      sock.destroy();
    },
  };
}
