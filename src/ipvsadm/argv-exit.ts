// ArgvExit: how ipvsadm's parser leaves the process (fail(), tryhelp_exit(), usage_exit() in
// ipvsadm.c), as an error that carries the exact text, its stream and the exit status.

import { TsvsError } from '../lib/errors.ts';

export const EXIT_USAGE = 2;
/** tryhelp_exit(argv[0], -1) and popt errors: exit(-1), i.e. 255. */
export const EXIT_TRYHELP = 255;

export class ArgvExit extends TsvsError {
  /** The exact bytes to print, newline included. */
  readonly text: string;
  readonly toStdout: boolean;

  constructor(exitCode: number, text: string, toStdout = false) {
    super(exitCode === 0 ? 'EHELP' : 'EUSAGE', text.replace(/\n$/, ''), { exitCode });
    this.name = 'ArgvExit';
    this.text = text;
    this.toStdout = toStdout;
  }
}

/** fail(err, msg): the message and a newline on stderr, then exit(err). */
export function fail(exitCode: number, msg: string): never {
  throw new ArgvExit(exitCode, msg + '\n');
}

/** tryhelp_exit(): "Try `prog -h' or 'prog --help' for more information." then exit(-1). */
export function tryhelpExit(program: string): never {
  throw new ArgvExit(EXIT_TRYHELP, `Try \`${program} -h' or '${program} --help' for more information.\n`);
}
