// tsvsadm --announce UP-COMMAND DOWN-COMMAND: ties the BGP (or any routing) announcement of a
// director's VIPs to tsvsd's liveness and health, for directors behind an ECMP router. Every
// POLL_MS it asks tsvsd `list` on the control socket; when tsvsd answers within ANSWER_MS and some
// service has a real server with weight > 0 it runs UP-COMMAND (e.g. `birdc enable vip`: BIRD
// announces the VIPs), otherwise DOWN-COMMAND (`birdc disable vip`: BIRD withdraws them with one
// UPDATE, the session stays up). A command runs on a change only; one that fails is run again at
// the next poll. SIGTERM and SIGINT run DOWN-COMMAND and exit 0.
//
// Why a process of its own: BFD between the router and the director's BGP daemon proves that the
// daemon and the link are alive, not tsvsd behind them, and a tsvsd killed with SIGKILL cannot
// withdraw anything. A dead tsvsd refuses the connection at once (its socket file stays, nobody
// listens) and a hung one does not answer: detection takes one poll plus one answer timeout at
// most (500 ms), then the command (birdc: a few ms). Health checks (tsvsd --health) remove a
// failed real server or set its weight to 0 (inhibit_on_failure), which withdraws when none is
// left. A tsvs extension: IPVS leaves routing to keepalived and the routing daemon.

import { execFile } from 'node:child_process';
import { ControlClient } from '../wire/client.ts';
import { EXIT_FAILURE, EXIT_OK, PROGRAM, type CliIo } from './cli-report.ts';

export const ANNOUNCE_FLAG = '--announce';
export const POLL_MS = 200;
export const ANSWER_MS = 300;
/** A routing daemon's client that does not return within this is counted as failed. */
export const COMMAND_TIMEOUT_MS = 2000;

interface ListedService {
  dests?: { weight?: number }[];
}

/** Why the VIPs must be withdrawn, or null when tsvsd answers and has a real server to send to. */
export async function reasonToWithdraw(socket: string, answerMs = ANSWER_MS): Promise<string | null> {
  let c: ControlClient | null = null;
  try {
    c = await ControlClient.connect(socket, answerMs);
    const r = await c.request<{ services?: ListedService[] }>('list');
    const up = (r.services ?? []).some((s) => (s.dests ?? []).some((d) => (d.weight ?? 0) > 0));
    return up ? null : 'no real server with weight > 0';
  } catch (e) {
    return `tsvsd: ${(e as Error).message}`;
  } finally {
    c?.close();
  }
}

/** Runs `sh -c command`; resolves with null on exit 0, else with what went wrong. */
export function runCommand(command: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { timeout: COMMAND_TIMEOUT_MS }, (err, _out, stderr) => {
      if (err === null) resolve(null);
      else resolve(`${command}: ${stderr.trim() || err.message}`);
    });
  });
}

/** The usage error of `--announce` arguments, or null. */
export function announceUsageError(args: readonly string[]): string | null {
  if (args.length === 2 && args.every((a) => a.trim() !== '')) return null;
  return `${PROGRAM}: ${ANNOUNCE_FLAG} takes two commands, UP-COMMAND and DOWN-COMMAND, e.g. ${ANNOUNCE_FLAG} 'birdc enable vip' 'birdc disable vip'\n`;
}

export interface AnnounceOptions {
  readonly socket: string;
  readonly up: string;
  readonly down: string;
  readonly io: CliIo;
  /** Aborted: withdraw and return (tsvsadm wires SIGTERM and SIGINT to it). */
  readonly stop: AbortSignal;
  readonly pollMs?: number;
}

const stamp = (): string => new Date().toISOString();

/**
 * The announcer's loop; resolves with the exit status once `stop` is aborted. Prints one line
 * per change on stdout (`<ISO time> announce` or `<ISO time> withdraw (<why>)`) and each failed
 * command on stderr.
 */
export async function runAnnounce(o: AnnounceOptions): Promise<number> {
  const pollMs = o.pollMs ?? POLL_MS;
  let announced: boolean | null = null;
  let wake: (() => void) | null = null;
  const onStop = (): void => wake?.();
  o.stop.addEventListener('abort', onStop);
  try {
    while (!o.stop.aborted) {
      const why = await reasonToWithdraw(o.socket);
      const want = why === null;
      if (o.stop.aborted) break;
      if (want !== announced) {
        const failed = await runCommand(want ? o.up : o.down);
        if (failed === null) {
          announced = want;
          o.io.stdout(`${stamp()} ${want ? 'announce' : `withdraw (${why})`}\n`);
        } else o.io.stderr(`${PROGRAM}: ${failed}\n`);
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(r, pollMs);
        wake = (): void => {
          clearTimeout(timer);
          r();
        };
      });
    }
  } finally {
    o.stop.removeEventListener('abort', onStop);
  }
  const failed = await runCommand(o.down);
  if (failed === null) {
    o.io.stdout(`${stamp()} withdraw (announcer stopped)\n`);
    return EXIT_OK;
  }
  o.io.stderr(`${PROGRAM}: ${failed}\n`);
  return EXIT_FAILURE;
}
