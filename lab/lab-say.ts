// lab-say: how the lab talks to the student: plain lines, and tsvsadm commands shown as typed.
import type { LabDaemon } from './lab-daemon.ts';

export function say(s = ''): void {
  process.stdout.write(`${s}\n`);
}

/** Print `$ tsvsadm ARGS`, run it against the lab's tsvsd, print and return its output. */
export function typed(d: LabDaemon, args: string[]): string {
  say(`$ tsvsadm ${args.join(' ')}`);
  const r = d.tsvsadm(args);
  if (r.stdout !== '') process.stdout.write(r.stdout);
  return r.stdout;
}

/** Print `$ CMD` run in a lab namespace (ip netns exec), and its output. */
export function shown(ns: string, label: string, out: string): void {
  say(`$ ${label}   (in ${ns})`);
  if (out !== '') process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
}
