// RulesStore: the rules file of tsvsd (default /var/lib/tsvs/rules), in ipvsadm -S format.
// Every save is atomic and durable: write a temporary file, fsync it, rename it over the old
// one, fsync the directory. A crash leaves either the old or the new file, never a mix. Saves
// that arrive while one is running are coalesced into one more write of the latest text.

import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TsvsError } from '../lib/errors.ts';
import { RuleLineError } from './rules-format.ts';

export const DEFAULT_RULES_PATH = '/var/lib/tsvs/rules';

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

export class RulesStore {
  readonly path: string;
  private pending: string | null = null;
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;

  constructor(path: string = DEFAULT_RULES_PATH) {
    this.path = path;
  }

  /** The file's text, or null when it does not exist yet (first start). */
  async read(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return null;
      throw new TsvsError('ERULES_READ', `cannot read rules file ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Reads and parses the file (null when absent). A RuleLineError from `parse` becomes a
   * TsvsError naming the file and line; the file itself is left untouched.
   */
  async load<T>(parse: (text: string) => T | Promise<T>): Promise<T | null> {
    const text = await this.read();
    if (text === null) return null;
    try {
      return await parse(text);
    } catch (e) {
      if (e instanceof RuleLineError) {
        throw new TsvsError('ERULES_CORRUPT', `${this.path}:${e.line}: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /** Persists `text`; resolves once it (or a later text) is on disk. */
  save(text: string): Promise<void> {
    this.pending = text;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.running === null) this.running = this.drain();
    return done;
  }

  /** Waits for every save made so far. */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending !== null) {
      const text = this.pending;
      const waiters = this.waiters;
      this.pending = null;
      this.waiters = [];
      try {
        await this.writeAtomic(text);
        for (const w of waiters) w.resolve();
      } catch (e) {
        const err = new TsvsError('ERULES_WRITE', `cannot save rules to ${this.path}: ${(e as Error).message}`, {
          cause: e,
        });
        for (const w of waiters) w.reject(err);
      }
    }
    this.running = null;
  }

  private async writeAtomic(text: string): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${basename(this.path)}.tmp-${process.pid}`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, this.path);
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
