// parseArgvResolving: parseArgv with host names (gethostbyname() in ipvsadm's host_to_addr()).
// Parsing is synchronous and name lookups are not, so we parse, note the names the parser
// lacked, resolve them (bounded), and parse again; only words used as hosts are ever looked up.

import { lookup } from 'node:dns/promises';
import { parseDottedQuad } from '../lib/inet.ts';
import { RealTimers, untilDeadline, type Timers } from '../lib/timers.ts';
import { ArgvExit } from './argv-exit.ts';
import { parseArgv, type ParseOptions } from './argv.ts';
import type { Command } from './command.ts';

export type ForwardLookup = (name: string) => Promise<number | null>;

/** gethostbyname(): the first IPv4 address of a name, or null. */
export const systemForwardLookup: ForwardLookup = async (name) => {
  try {
    const r = await lookup(name, { family: 4 });
    return parseDottedQuad(r.address);
  } catch {
    return null;
  }
};

export const DEFAULT_FORWARD_TIMEOUT_MS = 1500;

class RecordingHosts {
  readonly known = new Map<string, number>();
  readonly missing = new Set<string>();
  get(name: string): number | undefined {
    const v = this.known.get(name);
    if (v === undefined) this.missing.add(name);
    return v;
  }
}

async function resolveAll(
  names: readonly string[],
  into: Map<string, number>,
  timeoutMs: number,
  fwd: ForwardLookup,
  timers: Timers,
): Promise<void> {
  const found = new Map<string, number>();
  await untilDeadline(
    Promise.all(
      names.map(async (n) => {
        const a = await fwd(n);
        if (a !== null) found.set(n, a);
      }),
    ),
    timeoutMs,
    timers,
  );
  for (const [k, v] of found) into.set(k, v);
}

export interface ResolvingOptions extends Omit<ParseOptions, 'hosts'> {
  readonly forward?: ForwardLookup;
  readonly timeoutMs?: number;
  /** The clock of the lookup deadline: real timers by default, a manual clock in tests. */
  readonly timers?: Timers;
}

/** parseArgv, looking up the host names it meets; throws ArgvExit like parseArgv. */
export async function parseArgvResolving(argv: readonly string[], opts: ResolvingOptions = {}): Promise<Command> {
  const hosts = new RecordingHosts();
  const tried = new Set<string>();
  for (;;) {
    hosts.missing.clear();
    try {
      return parseArgv(argv, { ...opts, hosts });
    } catch (e) {
      const fresh = [...hosts.missing].filter((n) => !tried.has(n));
      if (!(e instanceof ArgvExit) || fresh.length === 0) throw e;
      for (const n of fresh) tried.add(n);
      await resolveAll(
        fresh,
        hosts.known,
        opts.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS,
        opts.forward ?? systemForwardLookup,
        opts.timers ?? new RealTimers({ unref: false }),
      );
      if (!fresh.some((n) => hosts.known.has(n))) throw e;
    }
  }
}
