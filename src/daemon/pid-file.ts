// pid-file: `tsvsd --pid-file PATH`, the process id of the tsvsd that serves the socket, for a
// service manager that follows a takeover (systemd's PIDFile=, read again once ExecReload ends:
// src/core/service.c, service_sigchld_event() in SERVICE_RELOAD). (No kernel file mirrored.)
//
// Written once the process is started (for a taking-over tsvsd: once it serves the control
// socket, so the file changes hands exactly when the control socket does), through a temporary
// file and rename() so a reader never sees half a number. A stop removes it only while it still
// names this process; a tsvsd that hands over leaves it for its successor to overwrite.

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Logger } from '../lib/logger.ts';

/** Writes this process's id to path; a failure is logged, never fatal (the file is advisory). */
export function writePidFile(path: string, log: Logger): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    log.warn('cannot write the pid file', { path, error: (e as Error).message });
  }
}

/** The pid in path, or null when there is none or it is not a number. */
export function readPidFile(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Removes path if it still names this process (a successor's file stays). */
export function removePidFile(path: string): void {
  if (readPidFile(path) !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: nothing to undo.
  }
}
