// config-include: keepalived's `include` on the file system. The pattern is a glob(3) pattern
// (`*`, `?`, `[...]` in any path component), relative to the directory of the file that holds the
// include (lib/parser.c open_conf_file chdir()s there before reading); matches are read in sorted
// order, as glob() returns them, and a pattern matching nothing is a warning, not an error
// (open_and_check_glob: GLOB_NOMATCH reports "No config files matched").

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { configError, type IncludedFile, type Includer } from './config-lexer.ts';

const MAGIC = /[*?[]/;

/** One glob(3) path component as a RegExp: `*` and `?` never match '/', nor a leading '.'. */
export function globComponent(pat: string): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pat.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = pat.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The existing paths a pattern names, sorted (glob(3) without GLOB_NOSORT). */
export function globFiles(pattern: string): string[] {
  const abs = path.resolve(pattern);
  const parts = abs.split('/').filter((x) => x !== '');
  let bases = ['/'];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of bases) {
      if (!MAGIC.test(part)) {
        const p = path.join(base, part);
        if (exists(p)) next.push(p);
        continue;
      }
      const re = globComponent(part);
      let names: string[];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      for (const n of names)
        if ((!n.startsWith('.') || part.startsWith('.')) && re.test(n)) next.push(path.join(base, n));
    }
    bases = next;
  }
  return bases.filter(isFile).sort();
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** An Includer reading the file system; warnings (no match) go to `warnings` as "from:line: ...". */
export function fileIncluder(warnings: string[]): Includer {
  return (pattern: string, from: string, line: number): IncludedFile[] => {
    const full = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(from), pattern);
    const files = globFiles(full);
    if (files.length === 0) warnings.push(`${from}:${line}: No config files matched '${pattern}'.`);
    return files.map((f) => {
      try {
        return { source: f, text: readFileSync(f, 'utf8') };
      } catch (e) {
        throw configError(from, line, `include: cannot read ${f}: ${(e as Error).message}`);
      }
    });
  };
}
