#!/usr/bin/env node
// gen-stats: writes src/io/native-stats.ts from native/stats-columns.h, the one list of the
// addon's stats() columns, so TypeScript reads the rows in the order C writes them.
//   node native/gen-stats.mjs           rewrite the file
//   node native/gen-stats.mjs --check   exit 1, saying so, when the file differs from what it would write
// The output goes through Prettier with the repository's settings, so `prettier --check` agrees.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const header = join(root, 'native', 'stats-columns.h');
const target = join(root, 'src', 'io', 'native-stats.ts');

/** The X(name, field, "doc") entries of TSVS_STAT_COLUMNS, in order. */
export function parseColumns(text) {
  const start = text.indexOf('#define TSVS_STAT_COLUMNS(X)');
  if (start < 0) throw new Error('stats-columns.h: no #define TSVS_STAT_COLUMNS(X)');
  const lines = text.slice(start).split('\n');
  const body = [];
  for (const line of lines) {
    body.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  const cols = [];
  const entry = /X\(\s*([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)/g;
  for (const m of body.join('\n').matchAll(entry)) cols.push({ name: m[1], field: m[2], doc: m[3] });
  if (cols.length === 0) throw new Error('stats-columns.h: TSVS_STAT_COLUMNS has no X(name, field, "doc") entries');
  const seen = new Set();
  for (const c of cols) {
    if (seen.has(c.name)) throw new Error(`stats-columns.h: column ${c.name} appears twice`);
    seen.add(c.name);
  }
  return cols;
}

/** The TypeScript module for those columns, formatted. */
export async function render(cols) {
  const src = `// native-stats: the columns of the native addon's stats(), written by native/gen-stats.mjs from
// native/stats-columns.h (their one definition). Do not edit: change the header and run
// \`node native/gen-stats.mjs\`.

/** Column order of stats(): one row of NATIVE_STAT_COLUMNS.length numbers per port. */
export const NATIVE_STAT_COLUMNS = [
${cols.map((c) => `  '${c.name}',`).join('\n')}
] as const;

export type NativeStatColumn = (typeof NATIVE_STAT_COLUMNS)[number];

/** One port's row of stats(), by column. */
export interface NativePortStats {
${cols.map((c) => `  /** ${c.doc.replace(/\\"/g, '"').replace(/\*\//g, '*\\/')} */\n  readonly ${c.name}: number;`).join('\n')}
}
`;
  const options = (await prettier.resolveConfig(target)) ?? {};
  return prettier.format(src, { ...options, filepath: target });
}

async function main() {
  const want = await render(parseColumns(readFileSync(header, 'utf8')));
  const rel = relative(root, target);
  if (process.argv.includes('--check')) {
    let have = '';
    try {
      have = readFileSync(target, 'utf8');
    } catch {
      // a missing file is stale too
    }
    if (have !== want) {
      console.error(`${rel} is out of date with native/stats-columns.h: run \`node native/gen-stats.mjs\``);
      process.exit(1);
    }
    console.log(`${rel} is up to date`);
    return;
  }
  writeFileSync(target, want);
  console.log(`wrote ${rel}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
