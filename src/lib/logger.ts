// Logger: levelled lines on stderr for tsvsd, logfmt (`time=... level=info msg="..." k=v`) or
// JSON (one object per line: {"time":...,"level":"info","msg":"...","k":v}). Under systemd, when
// stderr is the journal, each line starts with its sd-daemon priority (`<6>` for info,
// sd-daemon.h SD_INFO) so that journalctl shows the level. A message that repeats is
// rate-limited per message text: at most `burst` lines per window; the next line after a quiet
// window says how many were suppressed.

import { fstatSync } from 'node:fs';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export type Fields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** sd-daemon.h: SD_DEBUG 7, SD_INFO 6, SD_WARNING 4, SD_ERR 3. */
const SD_PRIORITY: Readonly<Record<Level, number>> = { debug: 7, info: 6, warn: 4, error: 3 };

export function isLogFormat(s: string): s is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(s);
}

/**
 * True when stderr is connected to the journal: systemd sets JOURNAL_STREAM to the device and
 * inode ("dev:ino") of the stream it connected, and a process compares it with its own stderr
 * (systemd.exec(5), "$JOURNAL_STREAM").
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 2): boolean {
  const js = env['JOURNAL_STREAM'];
  if (js === undefined || js === '') return false;
  try {
    const st = fstatSync(fd);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

export interface LoggerOptions {
  readonly level?: Level;
  readonly write?: (line: string) => void;
  readonly nowMs?: () => number;
  /** Lines allowed per message per window. */
  readonly burst?: number;
  readonly windowMs?: number;
  readonly format?: LogFormat;
  /** Prefix each line with its sd-daemon priority, `<N>` (stderr is the journal). */
  readonly journal?: boolean;
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
  private min: number;
  private readonly write: (line: string) => void;
  private readonly nowMs: () => number;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly windows = new Map<string, Window>();
  private readonly format: LogFormat;
  private readonly journal: boolean;

  constructor(opts: LoggerOptions = {}) {
    this.min = LEVELS.indexOf(opts.level ?? 'info');
    this.write = opts.write ?? ((line) => process.stderr.write(line));
    this.nowMs = opts.nowMs ?? Date.now;
    this.burst = opts.burst ?? 5;
    this.windowMs = opts.windowMs ?? 10_000;
    this.format = opts.format ?? 'logfmt';
    this.journal = opts.journal ?? false;
  }

  /** The least level written from now on ([daemon] log-level, at start and at reload). */
  get level(): Level {
    return LEVELS[this.min] ?? 'info';
  }
  set level(level: Level) {
    this.min = LEVELS.indexOf(level);
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
    const all = { time, level, msg, ...fields };
    const text = this.format === 'json' ? JSON.stringify(all) : logfmt(all);
    this.write(`${this.journal ? `<${SD_PRIORITY[level]}>` : ''}${text}\n`);
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows)
      if (now - w.startMs >= this.windowMs && w.suppressed === 0) this.windows.delete(k);
  }
}
