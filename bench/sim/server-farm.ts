// The real servers' work, for the scheduler simulator (no kernel counterpart: this is what sits
// behind the director). Two service disciplines per server:
//
// - "ps", processor sharing (default): the n requests on a server each progress at
//   capacity / n. A web server multiplexes its connections over its CPUs, so PS is the usual
//   model; every accepted connection is "in service", so the number in system is exactly what
//   IPVS counts as active connections (the signal lc, wlc, sed and nq read). Under PS the mean
//   response time does not depend on the shape of the demand distribution (M/G/1-PS:
//   E[S] / (1 - rho)), so heavy tails do not starve short requests.
// - "fifo" with `slots` workers: at most `slots` requests in service, each at capacity / slots,
//   the rest wait in arrival order (a worker-pool server with an accept backlog; IPVS still sees
//   the waiting connections as ESTABLISHED, i.e. active).
//
// Both use one virtual clock per server: V advances at the rate each in-service request gets
// (capacity / n for PS, capacity / slots for FIFO), a request that starts at V0 with demand D is
// done when V reaches V0 + D, and the in-service requests sit in a min-heap on that finish value.

import type { Jobs } from './jobs.ts';

export const MODEL_PS = 0;
export const MODEL_FIFO = 1;

export class ServerFarm {
  readonly n: number;
  readonly model: number;
  readonly slots: number;
  readonly jobs: Jobs;
  /** Work per ms now (0 while failed). */
  readonly capacity: Float64Array;
  readonly alive: Uint8Array;
  readonly vtime: Float64Array;
  readonly lastMs: Float64Array;
  /** Requests on the server (in service + waiting). */
  readonly nJobs: Int32Array;
  readonly maxJobs: Int32Array;
  /** Integral of nJobs dt, of capacity dt, and the work done (ms of demand). */
  readonly areaJobs: Float64Array;
  readonly areaCapacity: Float64Array;
  readonly workDone: Float64Array;
  /** Bumped on every change; completion events carry it and stale ones are skipped. */
  readonly version: Int32Array;
  private readonly heaps: number[][];
  private readonly waiting: number[][];
  private readonly waitHead: Int32Array;

  constructor(capacities: readonly number[], model: number, slots: number, jobs: Jobs) {
    const n = capacities.length;
    this.n = n;
    this.model = model;
    this.slots = slots;
    this.jobs = jobs;
    this.capacity = Float64Array.from(capacities);
    this.alive = new Uint8Array(n).fill(1);
    this.vtime = new Float64Array(n);
    this.lastMs = new Float64Array(n);
    this.nJobs = new Int32Array(n);
    this.maxJobs = new Int32Array(n);
    this.areaJobs = new Float64Array(n);
    this.areaCapacity = new Float64Array(n);
    this.workDone = new Float64Array(n);
    this.version = new Int32Array(n);
    this.heaps = Array.from({ length: n }, () => []);
    this.waiting = Array.from({ length: n }, () => []);
    this.waitHead = new Int32Array(n);
  }

  /** Bring server s's clocks and integrals up to nowMs. */
  advance(s: number, nowMs: number): void {
    const dt = nowMs - this.lastMs[s]!;
    if (dt <= 0) return;
    const cap = this.capacity[s]!;
    const busy = this.heaps[s]!.length;
    this.areaJobs[s] = this.areaJobs[s]! + this.nJobs[s]! * dt;
    this.areaCapacity[s] = this.areaCapacity[s]! + cap * dt;
    if (busy > 0 && cap > 0) {
      const perJob = this.model === MODEL_PS ? cap / busy : cap / this.slots;
      this.vtime[s] = this.vtime[s]! + perJob * dt;
      this.workDone[s] = this.workDone[s]! + perJob * busy * dt;
    }
    this.lastMs[s] = nowMs;
  }

  /** A request arrives at server s. */
  arrive(s: number, job: number, nowMs: number): void {
    this.advance(s, nowMs);
    const n = this.nJobs[s]! + 1;
    this.nJobs[s] = n;
    if (n > this.maxJobs[s]!) this.maxJobs[s] = n;
    if (this.model === MODEL_FIFO && this.heaps[s]!.length >= this.slots) {
      this.waiting[s]!.push(job);
    } else {
      this.start(s, job);
    }
    this.version[s] = this.version[s]! + 1;
  }

  private start(s: number, job: number): void {
    this.jobs.finishV[job] = this.vtime[s]! + this.jobs.demandMs[job]!;
    heapPush(this.heaps[s]!, job, this.jobs.finishV);
  }

  /** When the next request on s completes, Infinity if none will (idle or failed). */
  nextCompletionMs(s: number): number {
    const h = this.heaps[s]!;
    const cap = this.capacity[s]!;
    if (h.length === 0 || cap <= 0) return Infinity;
    const perJob = this.model === MODEL_PS ? cap / h.length : cap / this.slots;
    const left = this.jobs.finishV[h[0]!]! - this.vtime[s]!;
    return this.lastMs[s]! + (left > 0 ? left / perJob : 0);
  }

  /** The request due on s at nowMs leaves; returns its job id. */
  complete(s: number, nowMs: number): number {
    this.advance(s, nowMs);
    const h = this.heaps[s]!;
    const job = heapPop(h, this.jobs.finishV);
    // Rounding: the clock is exactly at the finish of the job that was due.
    if (this.jobs.finishV[job]! > this.vtime[s]!) this.vtime[s] = this.jobs.finishV[job]!;
    this.nJobs[s] = this.nJobs[s]! - 1;
    const w = this.waiting[s]!;
    if (this.model === MODEL_FIFO && this.waitHead[s]! < w.length) {
      const next = w[this.waitHead[s]!]!;
      const head = this.waitHead[s]! + 1;
      if (head === w.length) {
        w.length = 0;
        this.waitHead[s] = 0;
      } else if (head >= 4096 && head * 2 >= w.length) {
        w.splice(0, head); // compact a long-lived backlog
        this.waitHead[s] = 0;
      } else {
        this.waitHead[s] = head;
      }
      this.start(s, next);
    }
    this.version[s] = this.version[s]! + 1;
    return job;
  }

  /** Capacity of s becomes cap (slow-down, failure = 0, recovery). */
  setCapacity(s: number, cap: number, nowMs: number): void {
    this.advance(s, nowMs);
    this.capacity[s] = cap;
    this.version[s] = this.version[s]! + 1;
  }

  /** Every request on s is lost (the server died, or its connections were cut); returns them. */
  dropAll(s: number, nowMs: number): number[] {
    this.advance(s, nowMs);
    const w = this.waiting[s]!;
    const out = [...this.heaps[s]!, ...w.slice(this.waitHead[s]!)];
    this.heaps[s] = [];
    w.length = 0;
    this.waitHead[s] = 0;
    this.nJobs[s] = 0;
    this.version[s] = this.version[s]! + 1;
    return out;
  }
}

function heapPush(h: number[], job: number, key: Float64Array): void {
  let i = h.length;
  h.push(job);
  const k = key[job]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const pj = h[p]!;
    if (key[pj]! <= k) break;
    h[i] = pj;
    i = p;
  }
  h[i] = job;
}

function heapPop(h: number[], key: Float64Array): number {
  const top = h[0]!;
  const last = h.pop()!;
  const n = h.length;
  if (n === 0) return top;
  const k = key[last]!;
  let i = 0;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && key[h[c + 1]!]! < key[h[c]!]!) c++;
    if (key[h[c]!]! >= k) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
  return top;
}
