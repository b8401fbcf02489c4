// PoptContext: the slice of popt(3) behaviour ipvsadm relies on (poptGetNextOpt, poptGetArg,
// poptBadOption, poptStrerror): long options with "--name value" or "--name=value", clusters
// of short options ("-Ln", "-w5"), optional arguments (-p [timeout]) taken only when the next
// word does not start with '-', non-option words kept as leftovers in order, and "--".

import type { OptionDef } from './argv-option-table.ts';

export const POPT_ERROR_NOARG = -10;
export const POPT_ERROR_BADOPT = -11;
export const POPT_ERROR_UNWANTEDARG = -12;

export function poptStrerror(code: number): string {
  switch (code) {
    case POPT_ERROR_NOARG:
      return 'missing argument';
    case POPT_ERROR_BADOPT:
      return 'unknown option';
    case POPT_ERROR_UNWANTEDARG:
      return 'option does not take an argument';
    default:
      return 'unknown error';
  }
}

export type PoptNext = { readonly tag: number; readonly arg: string | null } | { readonly error: number } | null;

export class PoptContext {
  private readonly args: readonly string[];
  private readonly longs = new Map<string, OptionDef>();
  private readonly shorts = new Map<string, OptionDef>();
  private i = 0;
  private cluster = '';
  private endOfOptions = false;
  private lastToken = '';
  private readonly leftovers: string[] = [];

  /** `args` is argv without argv[0]. */
  constructor(args: readonly string[], table: readonly OptionDef[]) {
    this.args = args;
    for (const d of table) {
      if (!this.longs.has(d.long)) this.longs.set(d.long, d);
      if (d.short !== null) this.shorts.set(d.short, d);
    }
  }

  /** poptGetNextOpt(): the next option, an error, or null when the words are used up. */
  next(): PoptNext {
    for (;;) {
      if (this.cluster !== '') {
        const ch = this.cluster[0]!;
        const rest = this.cluster.slice(1);
        const def = this.shorts.get(ch);
        if (def === undefined) {
          this.cluster = '';
          return { error: POPT_ERROR_BADOPT };
        }
        if (def.arg === 'none') {
          this.cluster = rest;
          return { tag: def.tag, arg: null };
        }
        this.cluster = '';
        if (rest !== '') return { tag: def.tag, arg: rest };
        return this.argumentFor(def);
      }
      if (this.i >= this.args.length) return null;
      const tok = this.args[this.i++]!;
      this.lastToken = tok;
      if (this.endOfOptions) {
        this.leftovers.push(tok);
      } else if (tok === '--') {
        this.endOfOptions = true;
      } else if (tok.startsWith('--')) {
        const eq = tok.indexOf('=');
        const name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
        const def = this.longs.get(name);
        if (def === undefined) return { error: POPT_ERROR_BADOPT };
        if (eq >= 0) {
          if (def.arg === 'none') return { error: POPT_ERROR_UNWANTEDARG };
          return { tag: def.tag, arg: tok.slice(eq + 1) };
        }
        if (def.arg === 'none') return { tag: def.tag, arg: null };
        return this.argumentFor(def);
      } else if (tok.startsWith('-') && tok.length > 1) {
        this.cluster = tok.slice(1);
      } else {
        this.leftovers.push(tok);
      }
    }
  }

  private argumentFor(def: OptionDef): PoptNext {
    const nextTok = this.args[this.i];
    if (nextTok === undefined || (def.arg === 'optional' && nextTok.startsWith('-'))) {
      if (def.arg === 'optional') return { tag: def.tag, arg: null };
      return { error: POPT_ERROR_NOARG };
    }
    this.i++;
    this.lastToken = nextTok;
    return { tag: def.tag, arg: nextTok };
  }

  /** poptBadOption(con, POPT_BADOPTION_NOALIAS): the word being processed. */
  badOption(): string {
    return this.lastToken;
  }

  /** poptGetArg(): the next leftover (non-option) word, or null. */
  nextArg(): string | null {
    return this.leftovers.shift() ?? null;
  }
}
