// netns: small helpers to build and remove network namespaces and veth links, shared by the lab
// (fixed tsvs-* names) and the integration tests (NsSet: unique names, removed in finally).
// Everything happens inside namespaces this process creates: nothing is added to the root
// namespace (links are created directly inside their namespaces).

import { execFileSync, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (!isRoot())
    return 'network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW): run npm test as root (CI does)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'iproute2 (`ip`) is missing or cannot list namespaces';
  return null;
}

/** Run a command, throwing with its stderr on failure. */
export function sh(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(input === undefined ? {} : { input }),
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

export function ip(...args: string[]): string {
  return sh('ip', args);
}

export function nsExec(ns: string, cmd: string, ...args: string[]): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

export function listNetns(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

export function nsExists(ns: string): boolean {
  return listNetns().includes(ns);
}

export function addNetns(ns: string): void {
  ip('netns', 'add', ns);
  nsExec(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

/** A veth pair created inside nsA with its peer moved straight into nsB. */
export function addVeth(nsA: string, nameA: string, nsB: string, nameB: string): void {
  ip('-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB);
}

/** A plain L2 switch in namespace sw: bridge br0 over ports, no STP, no netfilter on bridged frames. */
export function addSwitch(sw: string, ports: readonly string[]): void {
  ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
  for (const p of ports) {
    ip('-n', sw, 'link', 'set', p, 'master', 'br0');
    ip('-n', sw, 'link', 'set', p, 'up');
  }
  ip('-n', sw, 'link', 'set', 'br0', 'up');
  for (const k of ['iptables', 'ip6tables', 'arptables']) {
    spawnSync('ip', ['netns', 'exec', sw, 'sysctl', '-qw', `net.bridge.bridge-nf-call-${k}=0`], { stdio: 'ignore' });
  }
}

/** Kill every process still inside ns (it was started by us), then delete ns. */
export function delNetns(ns: string): void {
  if (!nsExists(ns)) return;
  const pids = () =>
    (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .filter((p) => p !== '')
      .map(Number);
  for (const pid of pids()) tryKill(pid, 'SIGTERM');
  const deadline = Date.now() + 2000;
  while (pids().length > 0 && Date.now() < deadline) spawnSync('sleep', ['0.05']);
  for (const pid of pids()) tryKill(pid, 'SIGKILL');
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Whether pid is a running process (a zombie, e.g. an unreaped child, counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export function tryKill(pid: number, sig: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Start a long-running process inside ns; the caller kills it by PID. */
export function spawnInNs(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: { stdio?: StdioOptions; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: opts.stdio ?? 'ignore',
    env: opts.env ?? process.env,
  });
}

/** Stop a child we started: SIGTERM, wait, then SIGKILL. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  tryKill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && tryKill(child.pid, 'SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** The MAC address of dev inside ns, "aa:bb:cc:dd:ee:ff". */
export function macOf(ns: string, dev: string): string {
  return nsExec(ns, 'cat', `/sys/class/net/${dev}/address`).trim();
}

/** A short random suffix for unique test namespace names. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 7);
}

/**
 * A set of test namespaces named tsvs-<role>-<suffix> (one random suffix per set, so tests can
 * run side by side), removed with the processes started in them by destroy().
 */
export class NsSet {
  readonly suffix = uniqueSuffix();
  private readonly made: string[] = [];
  private readonly children: ChildProcess[] = [];

  add(role: string): string {
    const ns = `tsvs-${role}-${this.suffix}`;
    this.made.push(ns);
    addNetns(ns);
    return ns;
  }

  /** veth nameA in nsA <-> nameB in nsB, both up. */
  veth(nsA: string, nameA: string, nsB: string, nameB: string): void {
    addVeth(nsA, nameA, nsB, nameB);
    ip('-n', nsA, 'link', 'set', nameA, 'up');
    ip('-n', nsB, 'link', 'set', nameB, 'up');
  }

  /** The MAC address of dev inside ns, "aa:bb:cc:dd:ee:ff". */
  mac(ns: string, dev: string): string {
    return macOf(ns, dev);
  }

  /** Starts a process inside ns (stdout and stderr piped); destroy() kills it. */
  spawn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
    const c = spawnInNs(ns, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }

  destroy(): void {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) tryKill(c.pid, 'SIGKILL');
    }
    for (const ns of this.made.reverse()) delNetns(ns);
    this.made.length = 0;
  }
}
