#!/usr/bin/env node
// tsvsadm: the ipvsadm-compatible command line of tsvs (ipvsadm.c main()). Everything happens
// in src/cli/cli.ts; this file wires the process: argv, stdin for -R, and the exit status once
// stdout and stderr are flushed (pending name lookups must not keep the process alive).

import { runTsvsadm } from '../cli/cli.ts';
import { ttyTerminal } from '../cli/tty-terminal.ts';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (text += c));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

// `tsvsadm -Ln | head -1`: a closed pipe ends us quietly, as SIGPIPE ends ipvsadm.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

function exit(code: number): void {
  // Exit only once both streams have drained.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

// Only --top uses the terminal; it is looked at, not touched, until then.
const terminal = ttyTerminal();

runTsvsadm(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin,
  env: process.env,
  ...(terminal !== undefined ? { terminal } : {}),
}).then(exit, (e: unknown) => {
  process.stderr.write(`tsvsadm: ${e instanceof Error ? e.message : String(e)}\n`);
  exit(1);
});
