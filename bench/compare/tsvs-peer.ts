// tsvs-peer: tsvs as a bench/compare peer: tsvsd started inside lvs1 with the lab's engine config
// (the VIP owned in userspace, ip_forward=0), the rules loaded with `tsvsadm -R`, classic NAT (-m),
// full NAT (-F) or, on a DR lab of its own (TsvsDrPeer), direct routing (-g); engine counters read
// over the control socket after each test.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { DrTopology } from '../../lab/dr-topology.ts';
import { ensureBpfDecap } from '../../lab/tun-decap.ts';
import { TUN_RIP1, TUN_RIP2, TunTopology } from '../../lab/tun-topology.ts';
import { ControlClient } from '../../src/wire/client.ts';
import { killPid, routedOff, type Peer, type PeerContext } from './peers.ts';
import { pidState, run, sleepMs } from './sys.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TsvsOptions {
  /** Peer name in the report (tsvs, tsvs-fullnat, tsvs-dr, tsvs-synproxy, or a --variant name). */
  readonly name: string;
  /** The real servers' forwarding method: -m (classic NAT), -F (full NAT) or -g (DR). */
  readonly fwd: '-m' | '-F' | '-g' | '-i';
  /** The real servers' addresses (default the NAT and DR labs' RIP1, RIP2). */
  readonly rips?: readonly [string, string];
  /** Extra [engine] lines (a --variant). */
  readonly engineLines: readonly string[];
  /** 'src': node --import tsx src/bin/*.ts; 'dist': the compiled dist/src/bin/*.js. */
  readonly build: 'src' | 'dist';
  /** [engine] conn-capacity; undefined = the daemon's default. */
  readonly connCapacity: number | undefined;
  /** tsvs-synproxy: the services in `--synproxy always` (every handshake through a cookie). */
  readonly synproxy?: boolean;
}

/** The argv (after `node`) of a tsvs binary. */
export function tsvsBin(name: 'tsvsd' | 'tsvsadm', build: 'src' | 'dist'): string[] {
  return build === 'dist'
    ? [join(REPO_ROOT, 'dist', 'src', 'bin', `${name}.js`)]
    : ['--import', 'tsx', join(REPO_ROOT, 'src', 'bin', `${name}.ts`)];
}

/** ipvsadm -S lines for the lab: VIP:80 rr over web1/web2, VIP:5201 -> web1 (iperf3). */
export function labRules(
  fwd: TsvsOptions['fwd'],
  rips: readonly [string, string] = [RIP1, RIP2],
  synproxy = false,
): string {
  const [r1, r2] = rips;
  const sp = synproxy ? ' --synproxy always' : '';
  return [
    `-A -t ${VIP}:80 -s rr${sp}`,
    `-a -t ${VIP}:80 -r ${r1}:80 ${fwd} -w 1`,
    `-a -t ${VIP}:80 -r ${r2}:80 ${fwd} -w 1`,
    `-A -t ${VIP}:5201 -s rr${sp}`,
    `-a -t ${VIP}:5201 -r ${r1}:5201 ${fwd} -w 1`,
    '',
  ].join('\n');
}

export class TsvsPeer implements Peer {
  readonly name: string;
  readonly target = VIP;
  private child: ChildProcess | null = null;
  private readonly dir: string;
  private readonly sock: string;
  private readonly logFile: string;

  constructor(
    private readonly ctx: PeerContext,
    private readonly opts: TsvsOptions,
  ) {
    this.name = opts.name;
    this.dir = join(ctx.dir, this.name);
    this.sock = join(this.dir, 'tsvsd.sock');
    this.logFile = join(this.dir, 'tsvsd.log');
  }

  start(): void {
    const { lab } = this.ctx;
    routedOff(lab);
    mkdirSync(this.dir, { recursive: true });
    const conf = join(this.dir, 'tsvsd.conf');
    const rules = join(this.dir, 'rules');
    rmSync(rules, { force: true });
    rmSync(this.sock, { force: true });
    writeFileSync(
      conf,
      `[engine]
${lab.engineConfig()}${this.opts.connCapacity === undefined ? '' : `conn-capacity ${this.opts.connCapacity}\n`}${this.opts.engineLines.map((l) => `${l}\n`).join('')}`,
    );
    const logStart = this.log().length;
    const fd = openSync(this.logFile, 'a');
    try {
      const argv = [...tsvsBin('tsvsd', this.opts.build), '--config', conf, '--rules', rules, '--socket', this.sock];
      // detached: a session of its own, as haproxy -D and nginx get by daemonizing (setsid) and as
      // tsvsd gets under systemd (a cgroup of its own). In the runner's session tsvsd shared wrk's
      // autogroup (kernel.sched_autogroup_enabled), so the two split one CPU share between them
      // while each proxy had a share of its own: keep-alive 46-53k vs 49-62k req/s, 4 rounds.
      this.child = spawn('ip', ['netns', 'exec', lab.lvs, process.execPath, ...argv], {
        stdio: ['ignore', fd, fd],
        cwd: REPO_ROOT,
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    this.child.on('error', () => {});
    const deadline = Date.now() + 20_000;
    while (!existsSync(this.sock) || !this.log().slice(logStart).includes('packet engine running')) {
      const p = this.problem();
      if (p !== null) throw new Error(p);
      if (Date.now() > deadline) throw new Error(`tsvsd did not start its engine within 20 s: ${this.logTail()}`);
      sleepMs(100);
    }
    this.adm(['-R'], labRules(this.opts.fwd, this.opts.rips, this.opts.synproxy === true));
  }

  /** Runs tsvsadm against this daemon; throws with its output on failure. */
  adm(args: readonly string[], input?: string): string {
    const r = run(
      process.execPath,
      [...tsvsBin('tsvsadm', this.opts.build), '--socket', this.sock, ...args],
      30,
      input,
    );
    if (r.status !== 0)
      throw new Error(`tsvsadm ${args.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  stop(): void {
    if (this.child?.pid !== undefined) killPid(this.child.pid);
    this.child = null;
  }

  problem(): string | null {
    const pid = this.child?.pid;
    if (pid === undefined) return 'tsvsd is not running';
    const s = pidState(pid);
    return s === '' || s === 'Z' ? `tsvsd (pid ${pid}) exited: ${this.logTail()}` : null;
  }

  async stats(): Promise<Record<string, unknown>> {
    const c = await ControlClient.connect(this.sock, 5000);
    try {
      return await c.request<Record<string, unknown>>('engine.stats');
    } finally {
      c.close();
    }
  }

  private log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  logTail(lines = 5): string {
    return this.log().trim().split('\n').slice(-lines).join(' | ');
  }
}

/**
 * tsvs in DR mode. DR needs its own topology (the real servers answer the client through a
 * router, not through lvs1), so this peer builds a DR lab (lab/dr-topology.ts, prefix
 * `<run prefix>d`) when it starts and removes it when it stops, and is measured on that lab.
 * Compared with the NAT lab, every packet crosses one more kernel hop (the router).
 */
export class TsvsDrPeer implements Peer {
  readonly name: string;
  readonly target = VIP;
  readonly lab: DrTopology;
  private readonly inner: TsvsPeer;

  constructor(ctx: PeerContext, opts: Omit<TsvsOptions, 'fwd'>) {
    this.name = opts.name;
    this.lab = new DrTopology(`${ctx.lab.prefix}d`);
    this.inner = new TsvsPeer({ ...ctx, lab: this.lab }, { ...opts, fwd: '-g' });
  }

  start(): void {
    this.lab.up();
    this.inner.start();
  }

  stop(): void {
    this.inner.stop();
    this.lab.down();
  }

  problem(): string | null {
    return this.inner.problem();
  }

  stats(): Promise<Record<string, unknown>> {
    return this.inner.stats();
  }
}

/**
 * tsvs in TUN mode (-i, IPIP), on a TUN lab of its own (lab/tun-topology.ts, prefix
 * `<run prefix>t`): the real servers sit behind the router on 10.0.77.0/24, take the tunnel off
 * (tunl0, or the tc BPF program where the kernel has no ipip module) and answer the client
 * through the router. Every request crosses the router twice (to lvs1, then tunnelled to a web).
 */
export class TsvsTunPeer implements Peer {
  readonly name: string;
  readonly target = VIP;
  readonly lab: TunTopology;
  private readonly inner: TsvsPeer;

  constructor(ctx: PeerContext, opts: Omit<TsvsOptions, 'fwd' | 'rips'>) {
    this.name = opts.name;
    this.lab = new TunTopology(`${ctx.lab.prefix}t`);
    this.inner = new TsvsPeer({ ...ctx, lab: this.lab }, { ...opts, fwd: '-i', rips: [TUN_RIP1, TUN_RIP2] });
  }

  start(): void {
    const why = ensureBpfDecap();
    if (why !== null) throw new Error(why);
    this.lab.up();
    this.inner.start();
  }

  stop(): void {
    this.inner.stop();
    this.lab.down();
  }

  problem(): string | null {
    return this.inner.problem();
  }

  stats(): Promise<Record<string, unknown>> {
    return this.inner.stats();
  }
}
