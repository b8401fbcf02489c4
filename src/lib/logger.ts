// Logger: levelled logfmt lines on stderr for tsvsd (`time=... level=info msg="..." k=v`).
// A message that repeats is rate-limited per message text: at most `burst` lines per window;
// the next line after a quiet window says how many were suppressed.

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export type Fields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface LoggerOptions {
  readonly level?: Level;
  readonly write?: (line: string) => void;
  readonly nowMs?: () => number;
  /** Lines allowed per message per window. */
  readonly burst?: number;
  readonly windowMs?: number;
}

function quote(v: string): string {
  return /^[A-Za-z0-9_.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
}

/** key=value pairs in logfmt. */
export function logfmt(fields: Fields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    parts.push(`${k}=${quote(String(v))}`);
  }
  return parts.join(' ');
}

export function isLevel(s: string): s is Level {
  return (LEVELS as readonly string[]).includes(s);
}

interface Window {
  startMs: number;
  count: number;
  suppressed: number;
}

export class Logger {
  private readonly min: number;
  private readonly write: (line: string) => void;
  private readonly nowMs: () => number;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly windows = new Map<string, Window>();

  constructor(opts: LoggerOptions = {}) {
    this.min = LEVELS.indexOf(opts.level ?? 'info');
    this.write = opts.write ?? ((line) => process.stderr.write(line));
    this.nowMs = opts.nowMs ?? Date.now;
    this.burst = opts.burst ?? 5;
    this.windowMs = opts.windowMs ?? 10_000;
  }

  debug(msg: string, fields: Fields = {}): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields: Fields = {}): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields: Fields = {}): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields: Fields = {}): void {
    this.log('error', msg, fields);
  }

  log(level: Level, msg: string, fields: Fields = {}): void {
    if (LEVELS.indexOf(level) < this.min) return;
    const now = this.nowMs();
    const key = `${level}\u0000${msg}`;
    let w = this.windows.get(key);
    if (w === undefined || now - w.startMs >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0;
      w = { startMs: now, count: 0, suppressed: 0 };
      this.windows.set(key, w);
      if (this.windows.size > 1000) this.prune(now);
      if (suppressed > 0) fields = { ...fields, suppressed };
    }
    w.count++;
    if (w.count > this.burst) {
      w.suppressed++;
      return;
    }
    const time = new Date(now).toISOString();
    this.write(`${logfmt({ time, level, msg, ...fields })}\n`);
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows)
      if (now - w.startMs >= this.windowMs && w.suppressed === 0) this.windows.delete(k);
  }
}
