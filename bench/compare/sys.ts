// sys: bounded command execution and /proc probes for bench/compare (CPU of the whole box, of the
// processes inside a namespace, TCP counters of a namespace, TIME_WAIT counts, idle checks); the
// TypeScript port of the probes in ../shared/anchors/measure.sh.

import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface Exec {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion, killed after timeoutS seconds (coreutils `timeout`, then a
 * SIGKILL from Node two seconds later as a second guard). Never throws.
 */
export function run(cmd: string, args: readonly string[], timeoutS: number, input?: string): Exec {
  const r = spawnSync('timeout', ['-k', '2', String(timeoutS), cmd, ...args], {
    encoding: 'utf8',
    timeout: (timeoutS + 4) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}

/** Runs a command inside a namespace (bounded); see run(). */
export function nsRun(ns: string, cmd: string, args: readonly string[], timeoutS = 10, input?: string): Exec {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], timeoutS, input);
}

/** Like nsRun but throws with stderr when the command fails (setup steps). */
export function nsMust(ns: string, cmd: string, args: readonly string[], timeoutS = 10, input?: string): string {
  const r = nsRun(ns, cmd, args, timeoutS, input);
  if (r.status !== 0)
    throw new Error(`${ns}: ${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal. */
export function cpuSnap(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  return line.trim().split(/\s+/).slice(1, 9).map(Number);
}

export interface CpuDelta {
  /** Whole machine, % of all cores (2 cores = 100 %). */
  readonly busyPct: number;
  readonly softirqPct: number;
}

export function cpuDelta(a: readonly number[], b: readonly number[]): CpuDelta {
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((s, v) => s + v, 0) || 1;
  const idle = (d[3] ?? 0) + (d[4] ?? 0);
  return { busyPct: (100 * (total - idle)) / total, softirqPct: (100 * (d[6] ?? 0)) / total };
}

/** Machine-wide busy % over ms milliseconds. */
export function busyPct(ms = 1000): number {
  const a = cpuSnap();
  sleepMs(ms);
  return cpuDelta(a, cpuSnap()).busyPct;
}

export function nsPids(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

/** utime+stime (+ reaped children) ticks of one process; 0 when it is gone. */
export function pidTicks(pid: number | 'self', withChildren = false): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s
      .slice(s.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // f[0] is field 3 (state): utime = field 14 -> f[11], stime f[12], cutime f[13], cstime f[14]
    return (f[11] ?? 0) + (f[12] ?? 0) + (withChildren ? (f[13] ?? 0) + (f[14] ?? 0) : 0);
  } catch {
    return 0;
  }
}

/** utime ticks of one process (user space only); 0 when it is gone. */
export function pidUserTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[11] ?? 0);
  } catch {
    return 0;
  }
}

/** utime+stime ticks of every process living in the given namespaces (threads included). */
export function nsTicks(...namespaces: string[]): number {
  let t = 0;
  for (const ns of namespaces) for (const pid of nsPids(ns)) t += pidTicks(pid);
  return t;
}

/**
 * utime ticks only. With tick-based accounting (no CONFIG_IRQ_TIME_ACCOUNTING) a process's stime
 * also holds the softirq work run in its context: for an LB that sends into a veth, that is the
 * receiving side's network stack, so utime is the LB's own cost and stime an upper bound of its
 * kernel share.
 */
export function nsUserTicks(...namespaces: string[]): number {
  let t = 0;
  for (const ns of namespaces) for (const pid of nsPids(ns)) t += pidUserTicks(pid);
  return t;
}

/** CPU ticks of the children this process has reaped (the load tools run with spawnSync). */
export function childTicks(): number {
  return pidTicks('self', true) - pidTicks('self');
}

/** One process state letter from /proc (R, S, Z, ...), or '' when it does not exist. */
export function pidState(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

/** TCP counters of a namespace: /proc/net/snmp (Tcp*) and /proc/net/netstat (TcpExt*). */
export function tcpCounters(ns: string): Map<string, number> {
  const out = new Map<string, number>();
  const r = nsRun(ns, 'cat', ['/proc/net/snmp', '/proc/net/netstat'], 5);
  const lines = r.stdout.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const h = lines[i]!.split(/\s+/);
    const v = lines[i + 1]!.split(/\s+/);
    if (h[0] !== v[0] || !/^[A-Za-z]+:$/.test(h[0] ?? '') || Number.isNaN(Number(v[1]))) continue;
    const prefix = h[0]!.slice(0, -1);
    for (let k = 1; k < h.length; k++) out.set(prefix + h[k], Number(v[k]));
    i++;
  }
  return out;
}

/** Sum of some counters over several namespaces. */
export function sumCounters(namespaces: readonly string[], names: readonly string[]): number {
  let s = 0;
  for (const ns of namespaces) {
    const c = tcpCounters(ns);
    for (const n of names) s += c.get(n) ?? 0;
  }
  return s;
}

export function timeWaitCount(namespaces: readonly string[]): number {
  let s = 0;
  for (const ns of namespaces) {
    const r = nsRun(ns, 'ss', ['-Htan', 'state', 'time-wait'], 10);
    s += r.stdout.split('\n').filter((l) => l.trim() !== '').length;
  }
  return s;
}

/**
 * CPU ticks (utime+stime) of every process on the box except the excluded pids and kernel
 * threads, by pid: two snapshots around a run give a lower bound of the CPU other tenants of a
 * shared machine used meanwhile (a process that exits before the second snapshot is missed;
 * cutime is left out because a reaped child brings in CPU spent before the run).
 */
export function otherTicks(exclude: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 2 || exclude.has(pid)) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s
        .slice(s.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      if (f[1] === 2) continue; // ppid kthreadd: a kernel thread (ksoftirqd works for the lab)
      out.set(pid, (f[11] ?? 0) + (f[12] ?? 0));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Ticks spent between two otherTicks snapshots (pids excluded in either are left out). */
export function otherTicksDelta(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  exclude: ReadonlySet<number>,
): number {
  let t = 0;
  for (const [pid, v] of b) if (!exclude.has(pid)) t += Math.max(0, v - (a.get(pid) ?? 0));
  return t;
}
