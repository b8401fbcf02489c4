// tsvsadm --top [SECONDS]: a live view of services and real servers, repainted every SECONDS
// (default 2) from the ops tsvsd already serves: "list" (counters and the estimator rates of
// ipvsadm --rate), "health" and "engine.stats". On a terminal it takes the alternate screen and
// quits on q or Ctrl-C, giving the terminal back as it found it; without one (a pipe, a script)
// it prints one frame and exits.

import type { ControlClient } from '../wire/client.ts';
import type { ListResult } from '../wire/wire.ts';
import type { CliIo, CliTerminal } from './cli-report.ts';
import { renderTopFrame, type TopData, type TopEngine, type TopHealth } from './top-frame.ts';

export const TOP_FLAG = '--top';
export const TOP_DEFAULT_INTERVAL_SEC = 2;
/** Width of a frame printed without a terminal, unless $COLUMNS says otherwise. */
const PIPE_COLUMNS = 120;

// Alternate screen on/off (xterm's DECSET 1049), cursor hide/show, home, clear to end of line
// and of screen.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const EOL = '\x1b[K';
const EOS = '\x1b[J';

/** The interval in seconds, or the usage message for a bad one. */
export function parseTopArgs(args: readonly string[]): number | string {
  const bad = `${TOP_FLAG} takes an optional refresh interval in seconds, e.g. tsvsadm ${TOP_FLAG} 5`;
  if (args.length > 1) return bad;
  if (args.length === 0) return TOP_DEFAULT_INTERVAL_SEC;
  const s = args[0]!;
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  return n >= 0.1 && n <= 3600 ? n : bad;
}

async function unless<T>(p: Promise<T>, code: string): Promise<T | null> {
  try {
    return await p;
  } catch (e) {
    if ((e as { code?: string }).code === code) return null;
    throw e;
  }
}

function clock(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** One sample of everything the frame shows. */
export async function sampleTop(c: ControlClient, intervalSec: number, now = new Date()): Promise<TopData> {
  const list = await c.request<ListResult>('list');
  const health = await unless(c.request<TopHealth[]>('health'), 'EBADOP');
  const stats = await unless(c.request<Record<string, unknown>>('engine.stats'), 'ENOENGINE');
  const engine: TopEngine | null =
    stats === null
      ? null
      : {
          drops: (stats['drops'] ?? {}) as Record<string, number>,
          connections: Number(stats['connections'] ?? 0),
          connCapacity: Number(stats['connCapacity'] ?? 0),
        };
  return { services: list.services, health, engine, intervalSec, clock: clock(now) };
}

function pipeColumns(env: NodeJS.ProcessEnv): number {
  const n = Number(env['COLUMNS']);
  return Number.isInteger(n) && n > 0 ? n : PIPE_COLUMNS;
}

export async function runTop(c: ControlClient, io: CliIo, args: readonly string[]): Promise<number> {
  const interval = parseTopArgs(args);
  if (typeof interval === 'string') {
    io.stderr(`tsvsadm: ${interval}\n`);
    return 2;
  }
  if (io.terminal === undefined) {
    const frame = renderTopFrame(await sampleTop(c, interval), pipeColumns(io.env));
    io.stdout(`${frame.join('\n')}\n`);
    return 0;
  }
  return live(c, io, io.terminal, interval);
}

/** Repaints until q, Ctrl-C or a failed request; the terminal is restored on every way out. */
function live(c: ControlClient, io: CliIo, term: CliTerminal, intervalSec: number): Promise<number> {
  return new Promise((resolve) => {
    let last: TopData | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let done = false;
    const paint = (): void => {
      if (last === null || done) return;
      const { columns, rows } = term.size();
      const lines = renderTopFrame(last, columns, rows);
      io.stdout(HOME + lines.join(`${EOL}\n`) + EOL + EOS);
    };
    const finish = (code: number, message = ''): void => {
      if (done) return;
      done = true;
      if (timer !== null) clearTimeout(timer);
      term.stop();
      io.stdout(LEAVE);
      if (message !== '') io.stderr(message);
      resolve(code);
    };
    const tick = (): void => {
      sampleTop(c, intervalSec).then(
        (d) => {
          last = d;
          paint();
          if (!done) timer = setTimeout(tick, intervalSec * 1000);
        },
        (e: unknown) => finish(1, `tsvsadm: ${e instanceof Error ? e.message : String(e)}\n`),
      );
    };
    io.stdout(ENTER);
    term.start((key) => {
      if (key === 'q' || key === 'Q' || key === '\x03') finish(0);
    }, paint);
    tick();
  });
}
