// ecmp-experiment: what the ECMP lab (ecmp-topology.ts) measures, shared by the demo
// (ecmp-demo.ts) and test/lab/ecmp.test.ts: the router's next hops, the split of new flows per
// director, and a director killed (SIGKILL to its tsvsd's PID) under bounded load: failed new
// requests and their time window, broken long-lived connections (those through the dead director
// counted apart), the time until the router's route lost the dead next hop, and the adoptions.

import { spawn } from 'node:child_process';
import { isAlive, tryKill } from './netns.ts';
import { VIP } from './topology.ts';
import { labScript, type Director } from './ecmp-director.ts';
import type { EcmpTopology } from './ecmp-topology.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until cond() or timeoutMs; true when cond() held. */
export async function until(cond: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}

/** Wait until the router's route to the VIP has exactly the next hops of the running directors. */
export function routeMatches(lab: EcmpTopology, dirs: readonly Director[]): boolean {
  const hops = lab.nextHops().sort();
  const want = dirs.map((d) => d.addr).sort();
  return hops.length === want.length && hops.every((h, i) => h === want[i]);
}

/**
 * Connections the services have taken on director d so far (the Conns of `-Ln --stats`, asked
 * on the control socket: a tsvsadm process per question would cost seconds on a busy box).
 */
export async function serviceConns(d: Director): Promise<number> {
  const r = (await d.daemon.request('list')) as { services?: { stats?: { conns?: number } }[] };
  return (r.services ?? []).reduce((n, s) => n + (s.stats?.conns ?? 0), 0);
}

/** Client ports of the connection entries director d holds (what -Lnc lists). */
export async function clientPorts(d: Director): Promise<Set<number>> {
  const conns = (await d.daemon.request('conns')) as { cport: number }[];
  return new Set(conns.map((c) => c.cport));
}

/** Flows adopted by director d (engine.stats `adopted`). */
export async function adopted(d: Director): Promise<number> {
  const s = (await d.daemon.request('engine.stats')) as Record<string, unknown>;
  return Number(s['adopted'] ?? 0);
}

export interface KillResult {
  victim: number;
  longTotal: number;
  longThroughVictim: number;
  broken: { port: number; server: string; why: string; at: number }[];
  brokenThroughVictim: number;
  newOk: number;
  newFailed: number;
  /** From the start of the first failed new request to the start of the last one (0 if <= 1 failed). */
  failWindowMs: number;
  /** tsvsd killed -> announcer logged the withdrawal. */
  detectMs: number | null;
  /** tsvsd killed -> the router's kernel route without the victim's next hop. */
  withdrawnMs: number | null;
  /** Flows adopted by each surviving director during the run. */
  adoptedBy: Record<string, number>;
  perServer: Record<string, number>;
}

/**
 * Start the load from the client, kill `victim`'s tsvsd with SIGKILL after killAfterMs, and wait
 * for the load to end. durationMs bounds the whole load; long and workers size it.
 */
export async function killUnderLoad(
  lab: EcmpTopology,
  victim: Director,
  opts: { durationMs: number; killAfterMs: number; long: number; workers: number },
): Promise<KillResult> {
  const survivors = lab.directors.filter((d) => d !== victim && d.daemon.pid() !== null);
  const before = new Map<string, number>();
  for (const d of survivors) before.set(d.lvs, await adopted(d));
  const load = spawn(
    'ip',
    [
      'netns',
      'exec',
      lab.client,
      'timeout',
      String(Math.ceil(opts.durationMs / 1000) + 30),
      process.execPath,
      ...labScript('ecmp-load'),
      VIP,
      String(opts.durationMs),
      String(opts.long),
      String(opts.workers),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  load.stdout.on('data', (b: Buffer) => (out += b.toString()));
  load.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((r) => load.once('exit', () => r()));
  try {
    if (!(await until(() => out.includes('\n'), 20_000))) throw new Error(`the load did not start: ${err}`);
    const longPorts = (/^ready (.*)$/m.exec(out)?.[1] ?? '')
      .split(' ')
      .filter((p) => p !== '')
      .map(Number);
    const victimPorts = await clientPorts(victim);
    const throughVictim = new Set(longPorts.filter((p) => victimPorts.has(p)));
    await sleep(opts.killAfterMs);
    const pid = victim.daemon.pid();
    if (pid === null) throw new Error(`${victim.lvs}: tsvsd is not running`);
    const killedAt = Date.now();
    tryKill(pid, 'SIGKILL');
    let withdrawnAt: number | null = null;
    await until(
      () => {
        if (!lab.nextHops().includes(victim.addr)) withdrawnAt = Date.now();
        return withdrawnAt !== null;
      },
      10_000,
      10,
    );
    await until(() => !isAlive(pid), 2000);
    await exited;
    const last = out.trim().split('\n').pop() ?? '{}';
    const r = JSON.parse(last) as {
      long: number;
      broken: KillResult['broken'];
      newOk: number;
      newFailed: number;
      failureStarts: number[];
      perServer: Record<string, number>;
    };
    const withdrawLog = victim.announcerEvents().find((e) => e.atMs >= killedAt && e.what.startsWith('withdraw'));
    const adoptedBy: Record<string, number> = {};
    for (const d of survivors) adoptedBy[d.lvs] = (await adopted(d)) - (before.get(d.lvs) ?? 0);
    const fs = r.failureStarts;
    return {
      victim: victim.k,
      longTotal: r.long,
      longThroughVictim: throughVictim.size,
      broken: r.broken,
      brokenThroughVictim: r.broken.filter((b) => throughVictim.has(b.port)).length,
      newOk: r.newOk,
      newFailed: r.newFailed,
      failWindowMs: fs.length > 1 ? Math.max(...fs) - Math.min(...fs) : 0,
      detectMs: withdrawLog === undefined ? null : withdrawLog.atMs - killedAt,
      withdrawnMs: withdrawnAt === null ? null : (withdrawnAt as number) - killedAt,
      adoptedBy,
      perServer: r.perServer,
    };
  } finally {
    if (load.exitCode === null && load.pid !== undefined) tryKill(load.pid, 'SIGKILL');
  }
}
