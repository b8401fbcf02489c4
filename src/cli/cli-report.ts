// How tsvsadm reports failures, and its I/O seam: ipvsadm prints ipvs_strerror() text alone on
// stderr and exits 255 after a failed set command, 1 after a failed listing; tsvs's own failures
// (no daemon, rules not saved, not implemented) are prefixed with "tsvsadm: " and exit 1.

import { TsvsError } from '../lib/errors.ts';
import type { ForwardLookup } from '../ipvsadm/resolve-hosts.ts';
import type { ReverseLookup } from './names.ts';
import type { ServicesDb } from '../ipvsadm/services-db.ts';
import type { Timers } from '../lib/timers.ts';

export interface CliIo {
  stdout(s: string): void;
  stderr(s: string): void;
  readStdin(): Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  /** Name lookups (tests inject fixed tables). */
  readonly reverse?: ReverseLookup;
  readonly forward?: ForwardLookup;
  readonly resolveTimeoutMs?: number;
  /** The clock of the lookup deadlines (tests inject a manual one). */
  readonly timers?: Timers;
  /** /etc/services by default. */
  readonly services?: ServicesDb;
  /** The interactive terminal when stdin and stdout are one (tsvsadm --top repaints it). */
  readonly terminal?: CliTerminal;
}

/** A terminal for full-screen views: its size, raw keys, and restoring it afterwards. */
export interface CliTerminal {
  /** Current width and height in character cells. */
  size(): { readonly columns: number; readonly rows: number };
  /** Raw mode on; every key (Ctrl-C arrives as "\x03") goes to onKey, a resize to onResize. */
  start(onKey: (key: string) => void, onResize: () => void): void;
  /** Raw mode off and the listeners gone, so the process can end. */
  stop(): void;
}

export const PROGRAM = 'tsvsadm';
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;

const OWN_ERRORS = new Set([
  'ENODAEMON',
  'ENOACCESS',
  'ENOENGINE',
  'ENOSYS',
  'EDISCONNECTED',
  'ETIMEDOUT',
  'EBADREPLY',
]);

/** Prints a failure; returns the exit status (exitCode for ipvsadm-style errors). */
export function reportError(io: Pick<CliIo, 'stderr'>, e: unknown, exitCode: number): number {
  if (e instanceof TsvsError && (OWN_ERRORS.has(e.code) || e.code.startsWith('ERULES'))) {
    io.stderr(`${PROGRAM}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  io.stderr(`${e instanceof Error ? e.message : String(e)}\n`);
  return exitCode;
}
