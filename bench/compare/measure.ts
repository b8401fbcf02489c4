// measure: one bounded load run against the peer on lvs1, bracketed by probes (idle check before;
// CPU of the box, of lvs1's processes, of the webs and of the load tool; TCP health counters;
// tsvs drop counters), giving a Sample or a Failure. Port of the run loop of anchors/measure.sh.

import { appendFileSync } from 'node:fs';
import type { LabTopology } from '../../lab/topology.ts';
import { curls, iperf, parseDist, parseIperf, parseWrk, wrk, type LoadSettings } from './load.ts';
import type { Peer } from './peers.ts';
import type { EngineSample, Failure, Sample, TestName } from './results.ts';
import {
  busyPct,
  childTicks,
  cpuDelta,
  cpuSnap,
  HZ,
  nsPids,
  nsRun,
  nsTicks,
  nsUserTicks,
  otherTicks,
  otherTicksDelta,
  run,
  sumCounters,
  type Exec,
} from './sys.ts';

export interface MeasureContext {
  readonly lab: LabTopology;
  readonly load: LoadSettings;
  readonly idleMax: number;
  readonly waitIdleS: number;
  /** Raw log file (full tool output and per-run probes). */
  readonly rawLog: string;
}

export function raw(ctx: MeasureContext, title: string, text: string): void {
  appendFileSync(ctx.rawLog, `===== ${new Date().toISOString()} ${title}\n${text.trimEnd()}\n`);
}

/** Waits (<= waitIdleS) for the box to be at most idleMax % busy; returns the last 1 s sample. */
export function waitIdle(ctx: MeasureContext): number {
  const deadline = Date.now() + ctx.waitIdleS * 1000;
  let b = busyPct(1000);
  while (b > ctx.idleMax && Date.now() < deadline) b = busyPct(1000);
  if (b > ctx.idleMax) {
    // The second frame of top has real %CPU figures; keep its header and busiest processes.
    const frames = run('top', ['-b', '-n2', '-d0.5', '-w', '200'], 5).stdout.split(/^(?=top - )/m);
    const top = (frames[1] ?? frames[0] ?? '').split('\n').slice(0, 16).join('\n');
    raw(ctx, `box ${b.toFixed(0)}% busy before the run`, top);
  }
  return b;
}

function dropTotal(stats: Record<string, unknown> | null): number {
  const d = stats?.['drops'];
  if (d === null || typeof d !== 'object') return 0;
  return Object.values(d as Record<string, unknown>).reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0);
}

function numberOf(stats: Record<string, unknown> | null, key: string): number {
  const v = stats?.[key];
  return typeof v === 'number' ? v : 0;
}

function batchCount(stats: Record<string, unknown> | null): number {
  const b = stats?.['batchSizes'];
  return Array.isArray(b) ? b.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0) : 0;
}

async function peerStats(peer: Peer): Promise<Record<string, unknown> | null> {
  if (peer.stats === undefined) return null;
  try {
    return await peer.stats();
  } catch (e) {
    return { statsError: (e as Error).message };
  }
}

export async function measure(
  ctx: MeasureContext,
  peer: Peer,
  test: TestName,
  round: number,
): Promise<Sample | Failure> {
  const { lab, load } = ctx;
  const before = peer.problem();
  if (before !== null) return { round, reason: before };
  nsRun(lab.lvs, 'conntrack', ['-F']);
  const idleBeforePct = waitIdle(ctx);
  const webs = [lab.web1, lab.web2];
  const lbNs = [lab.lvs, ...webs];
  const retr0 = sumCounters([lab.client], ['TcpRetransSegs']);
  const paws0 = sumCounters(webs, ['TcpExtPAWSEstab', 'TcpExtPAWSTimewait']);
  const ldrop0 = sumCounters(lbNs, ['TcpExtListenDrops']);
  const st0 = await peerStats(peer);

  const labPids = (): Set<number> => new Set([process.pid, ...lab.namespaces.flatMap((n) => nsPids(n))]);
  const excl0 = labPids();
  const other0 = otherTicks(excl0);
  const cpu0 = cpuSnap();
  const lb0 = nsTicks(lab.lvs);
  const lbUser0 = nsUserTicks(lab.lvs);
  const web0 = nsTicks(...webs);
  const cli0 = childTicks();
  const t0 = performance.now();
  let r: Exec;
  const url = `http://${peer.target}/`;
  if (test === 'iperf') r = iperf(lab.client, peer.target, load);
  else r = wrk(lab.client, url, test === 'close', load);
  const el = (performance.now() - t0) / 1000;
  const cli1 = childTicks();
  const cpu = cpuDelta(cpu0, cpuSnap());
  const excl1 = labPids();
  for (const p of excl0) excl1.add(p);
  const otherPct = (100 * otherTicksDelta(other0, otherTicks(excl1), excl1)) / HZ / el;
  const lbPct = (100 * (nsTicks(lab.lvs) - lb0)) / HZ / el;
  const lbUserPct = (100 * (nsUserTicks(lab.lvs) - lbUser0)) / HZ / el;
  const webPct = (100 * (nsTicks(...webs) - web0)) / HZ / el;
  const clientPct = (100 * (cli1 - cli0)) / HZ / el;

  const st1 = await peerStats(peer);
  const health: Record<string, number> = {
    client_retrans: sumCounters([lab.client], ['TcpRetransSegs']) - retr0,
    web_paws_rejects: sumCounters(webs, ['TcpExtPAWSEstab', 'TcpExtPAWSTimewait']) - paws0,
    listen_drops: sumCounters(lbNs, ['TcpExtListenDrops']) - ldrop0,
  };
  let engine: EngineSample | undefined;
  if (st1 !== null) {
    const frames = numberOf(st1, 'rxFrames') - numberOf(st0, 'rxFrames');
    const batches = batchCount(st1) - batchCount(st0);
    engine = {
      rxFrames: frames,
      batches,
      nsPerFrame: frames > 0 ? ((lbPct / 100) * el * 1e9) / frames : 0,
      userNsPerFrame: frames > 0 ? ((lbUserPct / 100) * el * 1e9) / frames : 0,
      framesPerRequest: 0,
    };
    health['tsvs_drops'] = dropTotal(st1) - dropTotal(st0);
    const conns = st1['connections'];
    if (typeof conns === 'number') health['tsvs_conns_after'] = conns;
  }
  raw(
    ctx,
    `${peer.name} ${test} round ${round} (exit ${r.status}, ${el.toFixed(1)} s, box busy ${cpu.busyPct.toFixed(0)}%, lvs1 procs ${lbPct.toFixed(0)}%, other tenants ${otherPct.toFixed(0)}%)`,
    `${r.stdout}\n${r.stderr}${st1 !== null ? `\nengine.stats after: ${JSON.stringify(st1)}` : ''}`,
  );
  const after = peer.problem();
  const common = {
    busyPct: cpu.busyPct,
    softirqPct: cpu.softirqPct,
    lbPct,
    lbUserPct,
    webPct,
    clientPct,
    otherPct,
    idleBeforePct,
    round,
    ...(engine === undefined ? {} : { engine }),
  };
  if (test === 'iperf') {
    const p = parseIperf(r.stdout);
    if ('error' in p) return { round, reason: after ?? p.error };
    if (after !== null) return { round, reason: after };
    health['iperf_retransmits'] = p.retransmits;
    return { value: p.gbps, p99Ms: null, ...common, health };
  }
  const w = parseWrk(r.stdout);
  if (w === null)
    return {
      round,
      reason: after ?? `wrk produced no result (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`,
    };
  if (after !== null) return { round, reason: after };
  health['wrk_errors'] = w.errors;
  // A run where most requests failed is not a rate of the load balancer.
  if (w.requests > 0 && w.errors > w.requests / 2)
    return { round, reason: `wrk: ${w.errors} errors for ${w.requests} requests (${w.rps} req/s)` };
  const withFpr =
    engine === undefined || w.requests === 0
      ? common
      : { ...common, engine: { ...engine, framesPerRequest: engine.rxFrames / w.requests } };
  return { value: w.rps, p99Ms: w.p99Ms, ...withFpr, health };
}

/** Sequential curls through the peer: how the requests split between web1 and web2. */
export function measureDist(ctx: MeasureContext, peer: Peer): { web1: number; web2: number; other: number } | string {
  const p = peer.problem();
  if (p !== null) return p;
  const r = curls(ctx.lab.client, `http://${peer.target}/`, ctx.load);
  raw(ctx, `${peer.name} dist (exit ${r.status})`, r.stdout + r.stderr);
  return parseDist(r.stdout, ctx.load.curls);
}
