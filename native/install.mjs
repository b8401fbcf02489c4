#!/usr/bin/env node
// install: npm's `install` script. Builds the N-API packet I/O addon where the package is
// installed (native/build/Release/tsvs_native.node, where src/io/native-binding.ts looks for it).
// Without a C compiler, or when the build fails, it says that tsvsd will use the libpcap backend
// and still succeeds: the addon is an accelerator, not a requirement. Plain JavaScript: it runs
// before anything else of the package does.
//
// From a git URL, npm first runs `npm install` in a temporary clone (pacote's git dep
// preparation, which marks it with _PACOTE_NO_PREPARE_), then packs the clone and installs the
// pack: nothing is built in the clone, which npm deletes, the addon is built where the pack is
// installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function say(msg) {
  process.stderr.write(`tsvs: ${msg}\n`);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** node-gyp's script: our dependency first, else the copy npm gives its lifecycle scripts. */
function nodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmGyp = process.env['npm_config_node_gyp'];
    return npmGyp !== undefined && existsSync(npmGyp) ? npmGyp : null;
  }
}

if (process.env['_PACOTE_NO_PREPARE_'] !== undefined) process.exit(0);

const FALLBACK = 'tsvsd will use the libpcap backend';
const compiler = ['cc', 'gcc', 'clang'].find(have);
const gyp = nodeGyp();
if (process.env['TSVS_SKIP_NATIVE'] === '1') {
  say(`native addon not built (TSVS_SKIP_NATIVE=1); ${FALLBACK}`);
} else if (compiler === undefined) {
  say(`native addon not built (no C compiler); ${FALLBACK}`);
} else if (!have('make')) {
  say(`native addon not built (no make); ${FALLBACK}`);
} else if (gyp === null) {
  say(`native addon not built (node-gyp not found); ${FALLBACK}`);
} else {
  // Node's own headers when the distribution installed them (Debian's libnode-dev), so that the
  // build needs no download; else node-gyp fetches the headers of this Node version.
  const nodedir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
  const r = spawnSync(process.execPath, [gyp, 'rebuild', '--silent', ...nodedir], {
    cwd: here,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status === 0) say('native addon built (native/build/Release/tsvs_native.node)');
  else say(`native addon not built (the build failed, see above); ${FALLBACK}`);
}
