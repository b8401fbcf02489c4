// LabDaemon: runs tsvsd inside the lab's lvs1 namespace and tsvsadm against it, the way a student
// would type it. The default lab (prefix tsvs) uses tsvsd's default socket, so `npx tsvsadm ...`
// from the project root reaches it with no flags; other prefixes get their own socket. say(),
// typed() and shown() print the lab's steps for the student.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabTopology } from './topology.ts';
import { isAlive, tryKill } from './netns.ts';
import { ControlClient } from '../src/wire/client.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Project root, from lab/ (sources) or dist/lab/ (built). */
export const ROOT = existsSync(join(here, '..', 'package.json')) ? join(here, '..') : join(here, '..', '..');

/**
 * Command line to run one of our bins: the built JS when this file runs built (npm run lab), the
 * TypeScript source when it runs from source (tests), so a stale build is never what is tested.
 */
export function binArgs(name: 'tsvsd' | 'tsvsadm'): string[] {
  const js = join(ROOT, 'dist', 'src', 'bin', `${name}.js`);
  const fromSource = import.meta.url.endsWith('.ts');
  return !fromSource && existsSync(js) ? [js] : ['--import', 'tsx', join(ROOT, 'src', 'bin', `${name}.ts`)];
}

/** Where a LabDaemon runs: a lab topology, or one director of the ECMP lab (ecmp-topology.ts). */
export type DaemonHost = Pick<LabTopology, 'lvs' | 'prefix' | 'stateDir' | 'engineConfig'>;

export class LabDaemon {
  readonly socket: string;
  readonly dir: string;

  constructor(private readonly lab: DaemonHost) {
    this.dir = lab.stateDir;
    this.socket = lab.prefix === 'tsvs' ? '/run/tsvs/tsvsd.sock' : join(lab.stateDir, 'tsvsd.sock');
  }

  get pidFile(): string {
    return join(this.dir, 'tsvsd.pid');
  }

  get logFile(): string {
    return join(this.dir, 'tsvsd.log');
  }

  pid(): number | null {
    if (!existsSync(this.pidFile)) return null;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    return isAlive(pid) ? pid : null;
  }

  /** Start tsvsd in lvs1: it owns the VIP (ARP, ping) and, in the NAT lab, the full-NAT address. */
  async start(
    opts: { keepRules?: boolean; extraArgs?: readonly string[]; engineExtra?: string; bin?: readonly string[] } = {},
  ): Promise<number> {
    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, 'tsvsd.conf');
    writeFileSync(
      conf,
      `# tsvsd for the lab (written by lab/lab-daemon.ts)
[daemon]
log-level info

[engine]
${this.lab.engineConfig()}${opts.engineExtra ?? ''}`,
    );
    if (opts.keepRules !== true) rmSync(join(this.dir, 'rules'), { force: true });
    const argv = [
      'netns',
      'exec',
      this.lab.lvs,
      process.execPath,
      ...(opts.bin ?? binArgs('tsvsd')),
      '--config',
      conf,
      '--rules',
      join(this.dir, 'rules'),
      '--socket',
      this.socket,
      ...(opts.extraArgs ?? []),
    ];
    writeFileSync(this.argvFile, JSON.stringify(argv));
    return this.launch(argv);
  }

  get argvFile(): string {
    return join(this.dir, 'tsvsd.argv.json');
  }

  /**
   * Spawn `ip ARGV` (tsvsd in lvs1), record its pid, wait until its packet engine answers on the
   * socket (engine.stats: the engine starts after the rules are loaded and the socket listens).
   */
  private async launch(argv: readonly string[], ready: (stats: unknown) => boolean = () => true): Promise<number> {
    const log = openSync(this.logFile, 'a');
    const child = spawn('ip', argv, { stdio: ['ignore', log, log], detached: true });
    child.unref();
    writeFileSync(this.pidFile, String(child.pid));
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && child.exitCode === null) {
      if (existsSync(this.socket) && (await this.request('engine.stats').then(ready, () => false))) return child.pid!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `tsvsd did not start; its log (${this.logFile}):\n${existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''}`,
    );
  }

  /**
   * Stop tsvsd with `signal` (SIGTERM: a clean stop; SIGKILL: a crash) and start it again with the
   * arguments it was started with (the same config, rules file and socket), or with `bin` instead
   * of the tsvsd it ran (an upgrade: another build of tsvsd attaching the same state file).
   * Returns the new pid and the milliseconds from the signal to the new tsvsd answering.
   */
  async restart(signal: 'SIGTERM' | 'SIGKILL', bin?: readonly string[]): Promise<{ pid: number; ms: number }> {
    const pid = this.pid();
    if (pid === null || !existsSync(this.argvFile)) throw new Error('the lab has no running tsvsd to restart');
    const argv = this.argvWith(bin);
    const t0 = performance.now();
    tryKill(pid, signal);
    for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    if (isAlive(pid)) throw new Error(`tsvsd ${pid} did not stop on ${signal}`);
    const next = await this.launch(argv);
    return { pid: next, ms: performance.now() - t0 };
  }

  /**
   * Start a tsvsd with the arguments of the running one (or with `bin` instead) and `--takeover`:
   * it loads and opens everything while the running one forwards, then the running one hands
   * over and exits (src/daemon/handover.ts). Returns the new pid and the milliseconds from the
   * spawn to the new tsvsd answering (the node start included: not the outage).
   */
  async takeover(bin?: readonly string[]): Promise<{ pid: number; ms: number }> {
    const pid = this.pid();
    if (pid === null || !existsSync(this.argvFile)) throw new Error('the lab has no running tsvsd to take over from');
    const argv = this.argvWith(bin);
    const t0 = performance.now();
    const next = await this.launch([...argv, '--takeover'], (st) => {
      // The old tsvsd answers too until it hands over: only the new one names it.
      return (st as { stateFile?: { handedOverBy?: number | null } }).stateFile?.handedOverBy === pid;
    });
    for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    if (isAlive(pid)) throw new Error(`tsvsd ${pid} did not exit after handing over`);
    return { pid: next, ms: performance.now() - t0 };
  }

  /** The recorded tsvsd command line, with another tsvsd build (`bin`) in it if given. */
  private argvWith(bin?: readonly string[]): string[] {
    const argv = JSON.parse(readFileSync(this.argvFile, 'utf8')) as string[];
    if (bin === undefined) return argv;
    const at = argv.indexOf('--config');
    return [...argv.slice(0, 4), ...bin, ...argv.slice(at)];
  }

  stop(): void {
    const pid = this.pid();
    if (pid !== null) {
      tryKill(pid, 'SIGTERM');
      for (let i = 0; i < 40 && isAlive(pid); i++) spawnSync('sleep', ['0.05']);
      if (isAlive(pid)) tryKill(pid, 'SIGKILL');
    }
    rmSync(this.pidFile, { force: true });
  }

  /** Run tsvsadm with this lab's socket; returns its status and output. */
  tsvsadm(args: readonly string[], quiet = false): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [...binArgs('tsvsadm'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, TSVS_SOCKET: this.socket },
    });
    if (!quiet && r.status !== 0) throw new Error(`tsvsadm ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** A raw control request (the JSON-lines protocol), for ops tsvsadm has no flag for. */
  async request(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const c = await ControlClient.connect(this.socket);
    try {
      return await c.request(op, args);
    } finally {
      c.close();
    }
  }
}

// How the lab talks to the student: plain lines, tsvsadm commands shown as typed.

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
