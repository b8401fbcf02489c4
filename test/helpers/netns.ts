// netns: namespace helpers for the packet I/O tests. Every namespace gets a random suffix and is
// deleted in finally; links are created inside the namespaces, never in the root namespace.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW): run npm test as root';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'iproute2 (`ip`) is missing or cannot list namespaces';
  return null;
}

export function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

export const ip = (...args: string[]): string => run('ip', args);
export const nsRun = (ns: string, cmd: string, ...args: string[]): string =>
  run('ip', ['netns', 'exec', ns, cmd, ...args]);

/** A set of namespaces named <prefix>-<role>-<random>, removed (with their processes) by destroy(). */
export class NsSet {
  readonly suffix = randomBytes(3).toString('hex');
  private readonly made: string[] = [];
  private readonly children: ChildProcess[] = [];

  add(role: string): string {
    const ns = `tsvs-${role}-${this.suffix}`;
    ip('netns', 'add', ns);
    this.made.push(ns);
    nsRun(ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** veth nameA in nsA <-> nameB in nsB, both up. */
  veth(nsA: string, nameA: string, nsB: string, nameB: string): void {
    ip('-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB);
    ip('-n', nsA, 'link', 'set', nameA, 'up');
    ip('-n', nsB, 'link', 'set', nameB, 'up');
  }

  mac(ns: string, dev: string): string {
    return nsRun(ns, 'cat', `/sys/class/net/${dev}/address`).trim();
  }

  /** Starts a process inside ns; it is killed by PID in destroy(). */
  spawn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(c);
    return c;
  }

  destroy(): void {
    for (const c of this.children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.made.reverse()) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
    this.made.length = 0;
  }
}

/** Collects a child's stdout; resolves when a line matching re appears (or rejects after ms). */
export function waitLine(c: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: stdout=${out} stderr=${err}`)), ms);
    c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    c.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    c.on('exit', (code) => {
      clearTimeout(timer);
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) resolve(m);
      else reject(new Error(`exited (${code}) before ${re}: stdout=${out} stderr=${err}`));
    });
  });
}
