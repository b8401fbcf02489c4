#!/usr/bin/env node
// prepare: npm's `prepare` script, run by `npm pack`, by `npm install` in a clone, and when npm
// installs tsvs from a git URL (it clones the repository, runs `npm install` there, then
// `prepare`, then packs the `files`): builds dist/ with the TypeScript compiler of the
// devDependencies. Plain JavaScript: it runs before anything is built.
//
// Under `npm install -g git+...` npm's inner `npm install` in the clone inherits the global mode
// (npm_config_global) and installs no devDependencies, so the compiler is missing: the build
// tools are then installed here, in the clone, locally and without scripts, first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function say(msg) {
  process.stderr.write(`tsvs: ${msg}\n`);
}

/** npm itself: the CLI running this script when there is one, else `npm` on PATH. */
function npm(args, env) {
  const cli = process.env['npm_execpath'];
  const [cmd, pre] = cli !== undefined && cli.endsWith('.js') ? [process.execPath, [cli]] : ['npm', []];
  return spawnSync(cmd, [...pre, ...args], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
}

// Inside npm's git dep preparation (the inner `npm install` in the clone) nothing is built: npm
// runs this script again in the clone before it packs it.
if (process.env['_PACOTE_NO_PREPARE_'] !== undefined) process.exit(0);

if (!existsSync(tsc)) {
  say('building dist/ needs the devDependencies (typescript): installing them here, without scripts');
  const env = { ...process.env };
  // Local mode in this directory, whatever the npm that runs us was asked for (-g, --prefix,
  // --allow-scripts, which a local install refuses).
  for (const k of Object.keys(env)) if (/^npm_config_(global|prefix|location|allow_scripts)$/i.test(k)) delete env[k];
  const r = npm(
    ['install', '--no-save', '--ignore-scripts', '--include=dev', '--no-audit', '--no-fund', '--prefer-offline'],
    env,
  );
  if (r.status !== 0 || !existsSync(tsc)) {
    say('cannot install the devDependencies, so dist/ cannot be built');
    process.exit(1);
  }
}
const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(build.status ?? 1);
