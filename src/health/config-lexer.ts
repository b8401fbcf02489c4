// config-lexer: keepalived.conf block syntax to a tree of statements with line numbers
// (keepalived lib/parser.c: '#' and '!' start comments, '{' '}' delimit blocks, "..." and '...'
// quote strings with shell-like escapes). A statement is a keyword and its arguments on one line,
// optionally followed by a block (its '{' on the same or the next line). A line whose first word
// is `include` is replaced by the statements of the files its pattern names (lib/parser.c
// read_line / open_glob_file: the include is textual, at any depth of the block structure).

import { TsvsError } from '../lib/errors.ts';

export interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

export interface Stmt {
  readonly key: string;
  readonly args: readonly Word[];
  readonly line: number;
  /** The file the statement comes from when it is not the top-level source (an included file). */
  readonly source?: string;
  /** undefined when the statement has no block. */
  readonly block: readonly Stmt[] | undefined;
}

interface Tok {
  readonly kind: 'word' | '{' | '}' | 'nl' | 'eof';
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly source: string;
}

/** An included file's name (as errors name it) and text. */
export interface IncludedFile {
  readonly source: string;
  readonly text: string;
}

/** Resolves `include PATTERN` written in `from`; [] when nothing matches (keepalived goes on). */
export type Includer = (pattern: string, from: string, line: number) => IncludedFile[];

/** keepalived bounds nesting by its include stack; tsvs stops a file that includes itself here. */
export const MAX_INCLUDE_DEPTH = 16;

export function configError(source: string, line: number, msg: string): TsvsError {
  return new TsvsError('CONFIG_INVALID', `${source}:${line}: ${msg}`);
}

const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', E: '\x1b' };

function tokenize(text: string, source: string, includer: Includer | undefined, depth: number): Tok[] {
  const toks: Tok[] = [];
  // The index in toks of the first token of the current line, for `include` at a line's start.
  let lineStart = 0;
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') {
      const first = toks[lineStart];
      if (first?.kind === 'word' && first.text === 'include' && !first.quoted) {
        const words = toks.splice(lineStart).slice(1);
        toks.push(...included(words, source, first.line, includer, depth));
      }
      toks.push({ kind: 'nl', text: '', quoted: false, line, source });
      line++;
      i++;
      lineStart = toks.length;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || c === '!') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}') {
      toks.push({ kind: c, text: c, quoted: false, line, source });
      i++;
    } else {
      let word = '';
      let quoted = false;
      const startLine = line;
      while (i < text.length) {
        const d = text[i] ?? '';
        if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '{' || d === '}' || d === '#' || d === '!')
          break;
        if (d === '"' || d === "'") {
          quoted = true;
          i++;
          let closed = false;
          while (i < text.length) {
            const e = text[i] ?? '';
            if (e === d) {
              closed = true;
              i++;
              break;
            }
            if (e === '\n') break;
            if (e === '\\' && i + 1 < text.length) {
              const n = text[i + 1] ?? '';
              word += ESC[n] ?? n;
              i += 2;
            } else {
              word += e;
              i++;
            }
          }
          if (!closed)
            throw configError(source, startLine, `unterminated ${d === '"' ? 'double' : 'single'}-quoted string`);
        } else {
          word += d;
          i++;
        }
      }
      toks.push({ kind: 'word', text: word, quoted, line: startLine, source });
    }
  }
  const first = toks[lineStart];
  if (first?.kind === 'word' && first.text === 'include' && !first.quoted) {
    const words = toks.splice(lineStart).slice(1);
    toks.push(...included(words, source, first.line, includer, depth));
  }
  toks.push({ kind: 'eof', text: '', quoted: false, line, source });
  return toks;
}

/** The tokens of the files an `include` line names, each followed by a line break, without their eof. */
function included(words: Tok[], source: string, line: number, includer: Includer | undefined, depth: number): Tok[] {
  if (words.length !== 1 || words[0]?.kind !== 'word')
    throw configError(source, line, 'include needs one file name or glob pattern');
  if (includer === undefined) throw configError(source, line, 'include is not available for this input');
  if (depth >= MAX_INCLUDE_DEPTH)
    throw configError(
      source,
      line,
      `include nested deeper than ${MAX_INCLUDE_DEPTH} files (does a file include itself?)`,
    );
  const out: Tok[] = [];
  for (const f of includer(words[0].text, source, line)) {
    const sub = tokenize(f.text, f.source, includer, depth + 1);
    sub.pop();
    out.push(...sub, { kind: 'nl', text: '', quoted: false, line, source });
  }
  return out;
}

/** Parse the text into statements; TsvsError CONFIG_INVALID "source:line: ..." on unbalanced braces. */
export function parseBlocks(text: string, source = 'config', includer?: Includer): Stmt[] {
  const toks = tokenize(text, source, includer, 0);
  let p = 0;
  const peek = (): Tok => toks[p] ?? { kind: 'eof', text: '', quoted: false, line: 0, source };
  const skipNl = (): void => {
    while (peek().kind === 'nl') p++;
  };

  function block(openSource: string, openLine: number, nested: boolean): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      skipNl();
      const t = peek();
      if (t.kind === 'eof') {
        if (nested) throw configError(openSource, openLine, "block opened here is missing its closing '}'");
        return out;
      }
      if (t.kind === '}') {
        if (!nested) throw configError(t.source, t.line, "unexpected '}'");
        p++;
        return out;
      }
      if (t.kind === '{') throw configError(t.source, t.line, "unexpected '{' without a keyword");
      const line = t.line;
      const from = t.source;
      const words: Word[] = [];
      while (peek().kind === 'word') {
        const w = peek();
        words.push({ text: w.text, quoted: w.quoted });
        p++;
      }
      // A '{' on this line or at the start of the next one opens the statement's block.
      let sub: Stmt[] | undefined;
      const save = p;
      if (peek().kind === 'nl') p++;
      if (peek().kind === '{') {
        const open = peek();
        p++;
        sub = block(open.source, open.line, true);
      } else p = save;
      const [head, ...args] = words;
      if (head === undefined) throw configError(from, line, 'empty statement');
      out.push({ key: head.text, args, line, block: sub, ...(from !== source ? { source: from } : {}) });
    }
  }
  return block(source, 0, false);
}
