// What a simulation run records while it runs: every response time, picks per server and per
// time bin, per-bin queue areas, client-to-server churn, drops, lost and broken requests, and
// the table changes (with their disruption). Summaries are computed afterwards (summary.ts).
// No kernel counterpart.

import { DROP_COUNT } from '../../src/lib/drops.ts';
import type { ServerFarm } from './server-farm.ts';

export interface Disruption {
  /** Fraction of probe clients whose server changed with this table change. */
  readonly clients: number;
  /** The same, weighted by how much traffic each client sends. */
  readonly traffic: number;
  /** Fraction that had to move at least (the clients of a removed server, a new server's fair share). */
  readonly mustMove: number;
}

export interface EventRecord {
  readonly tMs: number;
  /** fail, recover, slow, add, remove, weight, health-down, health-up. */
  readonly kind: string;
  readonly server: string;
  readonly label: string;
  /** Requests in flight that were lost (the server died, or -d cut its connections). */
  brokenInFlight: number;
  /** health-down: new connections sent to the dead server before the health check took it out. */
  lostBeforeDetection: number;
  /** sh/mh/dh only: how the client -> server mapping moved. */
  disruption: Disruption | null;
}

/** a[i] += v on a typed array (noUncheckedIndexedAccess-friendly). */
function bump(a: Float64Array | Uint32Array, i: number, v = 1): void {
  a[i] = a[i]! + v;
}

export class Recorder {
  readonly n: number;
  readonly bins: number;
  readonly binMs: number;
  readonly warmupMs: number;
  /** Response times (ms) and, per sample, its server and time bin. */
  resp = new Float64Array(1 << 16);
  respServer = new Int32Array(1 << 16);
  respBin = new Uint16Array(1 << 16);
  respCount = 0;
  /** Of resp, how many are requests still unfinished at the end (their age so far). */
  censored = 0;
  readonly picks: Float64Array;
  readonly workAssigned: Float64Array;
  readonly binPicks: Uint32Array;
  readonly binJobsArea: Float64Array;
  readonly binWeight: Float32Array;
  private readonly prevArea: Float64Array;
  /** Integral of each server's weight over time (its entitlement). */
  readonly weightArea: Float64Array;
  private readonly weightNow: Float64Array;
  private readonly weightSince: Float64Array;
  readonly binArrivals: Float64Array;
  readonly binFailed: Float64Array;
  readonly binChanged: Float64Array;
  readonly binRepeat: Float64Array;
  private lastServer = new Int32Array(1024).fill(-1);
  readonly drops = new Float64Array(DROP_COUNT);
  arrivals = 0;
  completed = 0;
  lostToDead = 0;
  broken = 0;
  readonly events: EventRecord[] = [];
  /** The servers' integrals and peaks at the end of the measured period (see snapshot). */
  endAreaJobs = new Float64Array(0);
  endAreaCapacity = new Float64Array(0);
  endWorkDone = new Float64Array(0);
  endMaxJobs = new Int32Array(0);
  readonly pickLog: string[] = [];

  constructor(n: number, bins: number, durationMs: number, warmupMs: number) {
    this.n = n;
    this.bins = bins;
    this.binMs = durationMs / bins;
    this.warmupMs = warmupMs;
    this.picks = new Float64Array(n);
    this.workAssigned = new Float64Array(n);
    this.binPicks = new Uint32Array(bins * n);
    this.binJobsArea = new Float64Array(bins * n);
    this.binWeight = new Float32Array(bins * n);
    this.prevArea = new Float64Array(n);
    this.weightArea = new Float64Array(n);
    this.weightNow = new Float64Array(n);
    this.weightSince = new Float64Array(n);
    this.binArrivals = new Float64Array(bins);
    this.binFailed = new Float64Array(bins);
    this.binChanged = new Float64Array(bins);
    this.binRepeat = new Float64Array(bins);
  }

  bin(tMs: number): number {
    const b = Math.floor(tMs / this.binMs);
    return b < this.bins ? b : this.bins - 1;
  }

  /** A new entry of the events list. */
  event(tMs: number, kind: string, server: string, label: string): EventRecord {
    const ev: EventRecord = { tMs, kind, server, label, brokenInFlight: 0, lostBeforeDetection: 0, disruption: null };
    this.events.push(ev);
    return ev;
  }

  arrival(tMs: number): void {
    this.arrivals++;
    bump(this.binArrivals, this.bin(tMs));
  }

  drop(reason: number, tMs: number): void {
    bump(this.drops, reason);
    bump(this.binFailed, this.bin(tMs));
  }

  failed(tMs: number, count: number): void {
    bump(this.binFailed, this.bin(tMs), count);
  }

  /** The scheduler sent client `client` to server s. */
  pick(s: number, client: number, demandMs: number, tMs: number): void {
    bump(this.picks, s);
    bump(this.workAssigned, s, demandMs);
    const b = this.bin(tMs);
    bump(this.binPicks, b * this.n + s);
    if (client >= this.lastServer.length) {
      const g = new Int32Array(Math.max(client + 1, this.lastServer.length * 2)).fill(-1);
      g.set(this.lastServer);
      this.lastServer = g;
    }
    const last = this.lastServer[client]!;
    if (last >= 0) {
      bump(this.binRepeat, b);
      if (last !== s) bump(this.binChanged, b);
    }
    this.lastServer[client] = s;
  }

  response(ms: number, s: number, tMs: number): void {
    if (this.respCount === this.resp.length) this.grow();
    const i = this.respCount++;
    this.resp[i] = ms;
    this.respServer[i] = s;
    this.respBin[i] = this.bin(tMs);
  }

  /** Server s's weight in the service changes to w at tMs (0 = out of the service). */
  weight(s: number, w: number, tMs: number): void {
    bump(this.weightArea, s, this.weightNow[s]! * (tMs - this.weightSince[s]!));
    this.weightNow[s] = w;
    this.weightSince[s] = tMs;
  }

  /** Close time bin b at tMs: per-server queue areas and weights. */
  closeBin(b: number, farm: ServerFarm, tMs: number): void {
    const n = this.n;
    for (let s = 0; s < n; s++) {
      farm.advance(s, tMs);
      const a = farm.areaJobs[s]!;
      this.binJobsArea[b * n + s] = a - this.prevArea[s]!;
      this.prevArea[s] = a;
      this.binWeight[b * n + s] = this.weightNow[s]!;
    }
  }

  /** Keep the servers' figures at the end of the measured period (the drain goes on after it). */
  snapshot(farm: ServerFarm): void {
    this.endAreaJobs = farm.areaJobs.slice();
    this.endAreaCapacity = farm.areaCapacity.slice();
    this.endWorkDone = farm.workDone.slice();
    this.endMaxJobs = farm.maxJobs.slice();
  }

  /**
   * After the drain: measured requests still in flight count with their age so far, so that an
   * overloaded server cannot hide its backlog by never finishing it.
   */
  censor(farm: ServerFarm, endMs: number): void {
    const jobs = farm.jobs;
    for (let s = 0; s < this.n; s++) {
      for (const job of farm.dropAll(s, endMs)) {
        if (jobs.measured[job] === 1) {
          this.response(endMs - jobs.arrivalMs[job]!, s, jobs.arrivalMs[job]!);
          this.censored++;
        }
        jobs.free(job);
      }
    }
  }

  finish(endMs: number): void {
    for (let s = 0; s < this.n; s++) this.weight(s, this.weightNow[s]!, endMs);
  }

  private grow(): void {
    const n = this.resp.length * 2;
    const r = new Float64Array(n);
    r.set(this.resp);
    this.resp = r;
    const s = new Int32Array(n);
    s.set(this.respServer);
    this.respServer = s;
    const b = new Uint16Array(n);
    b.set(this.respBin);
    this.respBin = b;
  }
}
