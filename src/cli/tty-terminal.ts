// ttyTerminal: the CliTerminal of a real terminal (process.stdin and process.stdout both TTYs):
// raw keys, resize events, and SIGTERM/SIGHUP handled as a quit so the screen is restored.

import type { CliTerminal } from './cli-report.ts';

/** The process's terminal, or undefined when stdin or stdout is not one. */
export function ttyTerminal(): CliTerminal | undefined {
  const { stdin, stdout } = process;
  if (!stdin.isTTY || !stdout.isTTY) return undefined;
  let onData: ((b: Buffer) => void) | null = null;
  let onResize: (() => void) | null = null;
  let onSignal: (() => void) | null = null;
  return {
    size: () => ({ columns: stdout.columns, rows: stdout.rows }),
    start(key, resize) {
      onData = (b) => {
        for (const ch of b.toString('utf8')) key(ch);
      };
      onResize = resize;
      onSignal = () => key('\x03');
      stdin.setRawMode(true);
      stdin.on('data', onData);
      stdin.resume();
      stdout.on('resize', onResize);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', onSignal);
    },
    stop() {
      if (onData !== null) stdin.off('data', onData);
      if (onResize !== null) stdout.off('resize', onResize);
      if (onSignal !== null) {
        process.off('SIGTERM', onSignal);
        process.off('SIGHUP', onSignal);
      }
      stdin.setRawMode(false);
      stdin.pause();
    },
  };
}
