// The state of one simulation run and how a request goes through it: it arrives (Workload), the
// REAL director code picks a server and keeps the connection (Director: ServiceTable +
// ConnManager + the registry's scheduler), the server works on it (ServerFarm) until it completes
// or its client gives up. Table changes (sim-events.ts) go through change() and cut(), which
// measure their disruption. simulate.ts runs the event loop. No kernel counterpart.

import { setTwosSeed } from '../../src/sched/twos.ts';
import type { Scenario, ServerSpec } from './scenario.ts';
import { Rng } from './rng.ts';
import { Workload } from './workload.ts';
import { Director, connCapacityFor } from './director.ts';
import { Jobs } from './jobs.ts';
import { MODEL_FIFO, MODEL_PS, ServerFarm } from './server-farm.ts';
import { EventQueue } from './event-queue.ts';
import { Recorder, type EventRecord } from './recorder.ts';
import { makeProber, type Prober } from './probes.ts';
import { ClientPorts } from './client-ports.ts';

/** Kinds of the simulator's events (EventQueue's kind), with their a and b. */
export const ARRIVAL = 1; // the workload's next request
export const COMPLETE = 2; // a = server, b = the farm's version of s when scheduled
export const SCENARIO = 3; // a = index in sc.events
export const HEALTH_DOWN = 4; // a = server
export const HEALTH_UP = 5; // a = server
export const TICK = 6; // once a simulated second: connection expiry
export const BIN = 7; // a = the time bin that ends
export const ABORT = 8; // a = job whose client gave up

export class SimState {
  readonly sc: Scenario;
  readonly servers: readonly ServerSpec[];
  readonly n: number;
  readonly names: readonly string[];
  readonly byName: Map<string, number>;
  readonly wl: Workload;
  readonly connCapacity: number;
  readonly dir: Director;
  readonly jobs: Jobs;
  readonly farm: ServerFarm;
  readonly rec: Recorder;
  readonly eq: EventQueue;
  readonly prober: Prober | null;
  readonly weightOf: number[];
  readonly slowFactor: Float64Array;
  readonly lostSinceFail: Float64Array;
  readonly ports: ClientPorts;
  readonly pickLog: number;
  measuring: boolean;
  measuredLive: number;
  now: number;

  constructor(sc: Scenario, schedName: string, endMs: number, pickLog: number) {
    this.sc = sc;
    this.servers = sc.servers;
    this.n = sc.servers.length;
    this.names = sc.servers.map((s) => s.name);
    this.byName = new Map(this.names.map((nm, i) => [nm, i]));
    // The forks of the root PRNG in this order: each stream depends on its place.
    const root = new Rng(sc.seed);
    setTwosSeed(root.fork('twos').nextU32());
    this.wl = new Workload(sc, root);
    this.connCapacity = connCapacityFor(sc, this.wl.peakRatePerSec());
    this.dir = new Director(schedName, sc, this.connCapacity, root.fork('conn-hash').nextU32());
    this.jobs = new Jobs();
    const model = sc.serverModel.kind === 'fifo' ? MODEL_FIFO : MODEL_PS;
    this.farm = new ServerFarm(
      sc.servers.map((s) => s.capacity),
      model,
      sc.serverModel.kind === 'fifo' ? sc.serverModel.slots : 1,
      this.jobs,
    );
    this.rec = new Recorder(this.n, sc.bins, endMs, sc.warmupSec * 1000);
    this.eq = new EventQueue();
    this.prober = makeProber(sc, schedName, this.wl);
    this.weightOf = sc.servers.map((s) => s.weight);
    this.slowFactor = new Float64Array(this.n).fill(1);
    this.lostSinceFail = new Float64Array(this.n);
    this.ports = new ClientPorts();
    this.pickLog = pickLog;
    this.measuring = true;
    this.measuredLive = 0;
    this.now = 0;
  }

  /** Schedules s's next completion; an older COMPLETE of s is superseded by the farm's version. */
  resched(s: number): void {
    const t = this.farm.nextCompletionMs(s);
    if (t !== Infinity) this.eq.push(t, COMPLETE, s, this.farm.version[s]!);
  }

  record(kind: string, s: number, label: string): EventRecord {
    return this.rec.event(this.now, kind, this.names[s]!, label);
  }

  /** A table change through the ServiceTable, with its disruption measured where possible. */
  change(kind: string, s: number, label: string, apply: () => void): EventRecord {
    const { dir, prober, n } = this;
    const before = prober?.map(dir, this.now) ?? null;
    const wasIn = dir.destOf[s] !== null;
    apply();
    this.rec.weight(s, dir.weightOf(s), this.now);
    const ev = this.record(kind, s, label);
    if (prober !== null && before !== null) {
      let total = 0;
      for (let k = 0; k < n; k++) total += dir.weightOf(k);
      const added = !wasIn && dir.destOf[s] !== null && total > 0 ? dir.weightOf(s) / total : 0;
      ev.disruption = prober.compare(before, prober.map(dir, this.now), added, (x) => x === s && dir.weightOf(s) === 0);
    }
    return ev;
  }

  /** Every request on s is lost; each client gives up (FIN) after clientTimeoutSec (ABORT frees the job). */
  cut(s: number, ev: EventRecord): void {
    const lost = this.farm.dropAll(s, this.now);
    for (const job of lost) {
      this.measuredLive -= this.jobs.measured[job]!;
      this.eq.push(this.now + this.sc.clientTimeoutSec * 1000, ABORT, job, 0);
    }
    this.rec.broken += lost.length;
    this.rec.failed(this.now, lost.length);
    ev.brokenInFlight += lost.length;
    this.resched(s);
  }

  /** ARRIVAL: the director picks a server (or drops); a dead pick is a failure until health reacts. */
  arrival(): void {
    const { sc, wl, dir, rec, farm, now, measuring } = this;
    if (measuring) rec.arrival(now);
    const vaddr = sc.destinations !== null ? wl.daddr : sc.service.vip;
    const cport = this.ports.next(wl.client);
    const id = dir.open(wl.caddr, cport, vaddr, now);
    if (id < 0) {
      if (measuring) rec.drop(-id, now);
      if (rec.pickLog.length < this.pickLog) rec.pickLog.push('-');
    } else {
      const s = dir.serverOfConn(id);
      if (measuring) rec.pick(s, wl.client, wl.demandMs, now);
      if (rec.pickLog.length < this.pickLog) rec.pickLog.push(this.names[s]!);
      if (farm.alive[s] === 0) {
        if (measuring) {
          rec.lostToDead++;
          this.lostSinceFail[s] = this.lostSinceFail[s]! + 1;
          rec.failed(now, 1);
        }
      } else {
        dir.handshake(id, now);
        const measured = measuring && now >= rec.warmupMs;
        const job = this.jobs.add(now, wl.demandMs, s, id, wl.caddr, cport, wl.client, measured);
        if (measured) this.measuredLive++;
        farm.arrive(s, job, now);
        this.resched(s);
      }
    }
    if (wl.next()) this.eq.push(wl.tMs, ARRIVAL, 0, 0);
  }

  /** COMPLETE of server a, scheduled when a's farm version was `version`. */
  complete(a: number, version: number): void {
    const { farm, jobs, dir, rec, now } = this;
    if (farm.version[a] !== version) return; // superseded
    const job = farm.complete(a, now);
    this.resched(a);
    const id = jobs.connId[job]!;
    if (dir.isConn(id, jobs.caddr[job]!, jobs.cport[job]!)) dir.close(id, now);
    if (jobs.measured[job] === 1) {
      rec.completed++;
      this.measuredLive--;
      rec.response(now - jobs.arrivalMs[job]!, a, jobs.arrivalMs[job]!);
    }
    jobs.free(job);
  }

  /** ABORT: the client of job a gives up and closes; the job's slot is freed. */
  abort(a: number): void {
    const { dir, jobs } = this;
    if (dir.isConn(jobs.connId[a]!, jobs.caddr[a]!, jobs.cport[a]!)) dir.clientCloses(jobs.connId[a]!, this.now);
    jobs.free(a);
  }
}
