// config-lexer: keepalived.conf block syntax to a tree of statements with line numbers
// (keepalived lib/parser.c: '#' and '!' start comments, '{' '}' delimit blocks, "..." and '...'
// quote strings with shell-like escapes). A statement is a keyword and its arguments on one line,
// optionally followed by a block (its '{' on the same or the next line).

import { TsvsError } from '../lib/errors.ts';

export interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

export interface Stmt {
  readonly key: string;
  readonly args: readonly Word[];
  readonly line: number;
  /** undefined when the statement has no block. */
  readonly block: readonly Stmt[] | undefined;
}

interface Tok {
  readonly kind: 'word' | '{' | '}' | 'nl' | 'eof';
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
}

export function configError(source: string, line: number, msg: string): TsvsError {
  return new TsvsError('CONFIG_INVALID', `${source}:${line}: ${msg}`);
}

const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', E: '\x1b' };

function tokenize(text: string, source: string): Tok[] {
  const toks: Tok[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === '\n') {
      toks.push({ kind: 'nl', text: '', quoted: false, line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || c === '!') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}') {
      toks.push({ kind: c, text: c, quoted: false, line });
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
      toks.push({ kind: 'word', text: word, quoted, line: startLine });
    }
  }
  toks.push({ kind: 'eof', text: '', quoted: false, line });
  return toks;
}

/** Parse the text into statements; TsvsError CONFIG_INVALID "source:line: ..." on unbalanced braces. */
export function parseBlocks(text: string, source = 'config'): Stmt[] {
  const toks = tokenize(text, source);
  let p = 0;
  const peek = (): Tok => toks[p] ?? { kind: 'eof', text: '', quoted: false, line: 0 };
  const skipNl = (): void => {
    while (peek().kind === 'nl') p++;
  };

  function block(openLine: number, nested: boolean): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      skipNl();
      const t = peek();
      if (t.kind === 'eof') {
        if (nested) throw configError(source, openLine, "block opened here is missing its closing '}'");
        return out;
      }
      if (t.kind === '}') {
        if (!nested) throw configError(source, t.line, "unexpected '}'");
        p++;
        return out;
      }
      if (t.kind === '{') throw configError(source, t.line, "unexpected '{' without a keyword");
      const line = t.line;
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
        const open = peek().line;
        p++;
        sub = block(open, true);
      } else p = save;
      const [head, ...args] = words;
      if (head === undefined) throw configError(source, line, 'empty statement');
      out.push({ key: head.text, args, line, block: sub });
    }
  }
  return block(0, false);
}
