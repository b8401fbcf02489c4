// The request stream of a scenario: arrival times (Poisson with rate phases, on/off bursts, or a
// replayed trace), service demand (exponential, Pareto, fixed) and the client (and destination)
// address of each request. Drawn from its own PRNG streams, never from anything the scheduler
// does, so every scheduler is fed the identical sequence. No kernel counterpart.

import { join, isAbsolute } from 'node:path';
import type { Scenario } from './scenario.ts';
import { type Rng, Zipf } from './rng.ts';
import { loadTrace, type Trace } from './trace.ts';

/** Client rank k -> 10.x.y.z: multiplying by an odd constant is a bijection mod 2^24. */
export function clientAddr(rank: number): number {
  return (0x0a000000 | (Math.imul(rank + 1, 2654435761) & 0xffffff)) >>> 0;
}

/** Destination rank k -> 172.16.0.0/12 (origins behind a dh/lblc cache cluster). */
export function destAddr(rank: number): number {
  return (0xac100000 | (Math.imul(rank + 1, 0x9e3779b1) & 0xfffff)) >>> 0;
}

export class Workload {
  /** Fields of the current request (after next()). */
  tMs = 0;
  demandMs = 0;
  /** Dense client index (0.. clientCount-1), for per-client bookkeeping. */
  client = 0;
  caddr = 0;
  daddr = 0;
  /** Client index -> address. */
  readonly clientAddrs: number[] = [];
  /** Address -> client index; built on the first trace row that names its client. */
  private byAddr: Map<number, number> | null = null;
  private readonly sc: Scenario;
  private readonly arrRng: Rng;
  private readonly demRng: Rng;
  private readonly cliRng: Rng;
  private readonly dstRng: Rng;
  readonly clientZipf: Zipf;
  readonly destZipf: Zipf | null;
  private readonly trace: Trace | null;
  private traceRow = 0;
  private traceOffsetMs = 0;
  /** on/off state: current period ends at periodEndMs. */
  private on = true;
  private periodEndMs = 0;
  private readonly onoffRng: Rng;

  constructor(sc: Scenario, rng: Rng) {
    this.sc = sc;
    this.arrRng = rng.fork('arrivals');
    this.demRng = rng.fork('demand');
    this.cliRng = rng.fork('clients');
    this.dstRng = rng.fork('destinations');
    this.onoffRng = rng.fork('onoff');
    this.clientZipf = new Zipf(sc.clients.count, sc.clients.zipf);
    for (let k = 0; k < sc.clients.count; k++) this.clientAddrs.push(clientAddr(k));
    this.destZipf = sc.destinations === null ? null : new Zipf(sc.destinations.count, sc.destinations.zipf);
    const a = sc.arrivals;
    this.trace =
      a.kind === 'trace' ? loadTrace(isAbsolute(a.file) ? a.file : join(sc.baseDir, a.file), a.bytesPerMs) : null;
    if (a.kind === 'onoff') this.periodEndMs = this.onoffRng.exp(a.meanOnSec * 1000);
    this.tMs = 0;
  }

  /** Probability that a request comes from client index i (Zipf ranks; trace clients: unknown, 0). */
  clientProb(i: number): number {
    return i < this.clientZipf.n ? this.clientZipf.prob(i) : 0;
  }

  /** Advance to the next request; false when there is none (end of a trace, or rate 0 for ever). */
  next(): boolean {
    if (this.trace !== null) return this.nextTrace(this.trace);
    const t = this.nextArrival(this.tMs);
    if (t === Infinity) return false;
    this.tMs = t;
    this.demandMs = this.drawDemand();
    this.drawClient();
    return true;
  }

  private nextTrace(tr: Trace): boolean {
    if (this.traceRow >= tr.timeMs.length) {
      if (!(this.sc.arrivals.kind === 'trace' && this.sc.arrivals.loop)) return false;
      this.traceRow = 0;
      this.traceOffsetMs += tr.spanMs;
    }
    const i = this.traceRow++;
    this.tMs = this.traceOffsetMs + tr.timeMs[i]!;
    this.demandMs = tr.demandMs[i]!;
    const c = tr.client[i]!;
    if (c >= 0) {
      this.caddr = c;
      this.client = this.clientIndex(c);
      this.daddr = this.drawDest();
    } else {
      this.drawClient();
    }
    return true;
  }

  private clientIndex(addr: number): number {
    if (this.byAddr === null) this.byAddr = new Map(this.clientAddrs.map((a, i) => [a, i]));
    let i = this.byAddr.get(addr);
    if (i === undefined) {
      i = this.clientAddrs.length;
      this.clientAddrs.push(addr);
      this.byAddr.set(addr, i);
    }
    return i;
  }

  private drawClient(): void {
    const rank = this.clientZipf.sample(this.cliRng);
    this.client = rank;
    this.caddr = this.clientAddrs[rank]!;
    this.daddr = this.drawDest();
  }

  private drawDest(): number {
    return this.destZipf === null ? 0 : destAddr(this.destZipf.sample(this.dstRng));
  }

  private drawDemand(): number {
    const d = this.sc.demand;
    if (d.kind === 'exp') return this.demRng.exp(d.meanMs);
    if (d.kind === 'pareto') return this.demRng.pareto(d.meanMs, d.alpha);
    return d.ms;
  }

  /**
   * Next arrival after tMs of a Poisson process whose rate is piecewise constant: draw an
   * exponential gap at the current rate; if it crosses the next rate change, restart from the
   * change (the process is memoryless, so this is exact).
   */
  private nextArrival(tMs: number): number {
    let t = tMs;
    for (;;) {
      const rate = this.rateAt(t);
      const change = this.nextChangeMs(t);
      if (rate <= 0) {
        if (change === Infinity) return Infinity;
        t = change;
        continue;
      }
      const gap = this.arrRng.exp(1000 / rate);
      if (t + gap < change) return t + gap;
      t = change;
    }
  }

  /** Arrival rate (per second) at time t; on/off periods advance as t moves on. */
  rateAt(tMs: number): number {
    const a = this.sc.arrivals;
    if (a.kind === 'onoff') {
      while (tMs >= this.periodEndMs) {
        this.on = !this.on;
        this.periodEndMs += this.onoffRng.exp((this.on ? a.meanOnSec : a.meanOffSec) * 1000);
      }
      return this.on ? a.onRatePerSec : a.offRatePerSec;
    }
    if (a.kind !== 'poisson') return 0;
    let rate = a.ratePerSec;
    for (const p of a.phases) if (tMs >= p.fromSec * 1000 && tMs < p.toSec * 1000) rate = p.ratePerSec;
    return rate;
  }

  private nextChangeMs(tMs: number): number {
    const a = this.sc.arrivals;
    if (a.kind === 'onoff') return this.periodEndMs;
    if (a.kind !== 'poisson') return Infinity;
    let next = Infinity;
    for (const p of a.phases) {
      const from = p.fromSec * 1000;
      const to = p.toSec * 1000;
      if (from > tMs && from < next) next = from;
      if (to > tMs && to < next) next = to;
    }
    return next;
  }

  /** Highest arrival rate the scenario asks for (per second), to size the connection table. */
  peakRatePerSec(): number {
    const a = this.sc.arrivals;
    if (a.kind === 'poisson') return Math.max(a.ratePerSec, ...a.phases.map((p) => p.ratePerSec));
    if (a.kind === 'onoff') return Math.max(a.onRatePerSec, a.offRatePerSec);
    const tr = this.trace!;
    return (tr.timeMs.length / Math.max(tr.spanMs, 1)) * 1000 * 3;
  }
}
