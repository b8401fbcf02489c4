// The discrete-event simulation of one scheduler on one scenario: requests arrive (Workload),
// the REAL director code picks a server and keeps the connection state (Director: ServiceTable +
// ConnManager + the registry's scheduler), the servers work (ServerFarm), and scenario events
// fail, slow, add and remove servers, with a health checker that reacts through the
// ServiceTable after a delay. Time is simulated: hours run in seconds. No kernel counterpart.

import { setTwosSeed } from '../../src/sched/twos.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import type { Scenario } from './scenario.ts';
import { Rng } from './rng.ts';
import { Workload } from './workload.ts';
import { Director, connCapacityFor } from './director.ts';
import { Jobs } from './jobs.ts';
import { MODEL_FIFO, MODEL_PS, ServerFarm } from './server-farm.ts';
import { EventQueue } from './event-queue.ts';
import { Recorder, type EventRecord } from './recorder.ts';
import { makeProber } from './probes.ts';
import { ClientPorts } from './client-ports.ts';

export interface SimOptions {
  /** Override the scenario's durationSec. */
  readonly durationSec?: number;
  /** Keep the first N picks as server names ('-' when no server was picked). */
  readonly pickLog?: number;
}

export interface SimRun {
  readonly scheduler: string;
  readonly scenario: Scenario;
  readonly durationMs: number;
  readonly rec: Recorder;
  readonly farm: ServerFarm;
  readonly names: readonly string[];
  readonly connCapacity: number;
  readonly wallMs: number;
}

const ARRIVAL = 1;
const COMPLETE = 2;
const SCENARIO = 3;
const HEALTH_DOWN = 4;
const HEALTH_UP = 5;
const TICK = 6;
const BIN = 7;
const ABORT = 8;

export function simulate(sc: Scenario, schedName: string, opts: SimOptions = {}): SimRun {
  if (findScheduler(schedName) === undefined)
    throw new TsvsError('ENOENT', `Scheduler module ip_vs_${schedName} not found`);
  const wall = performance.now();
  const endMs = (opts.durationSec ?? sc.durationSec) * 1000;
  const servers = sc.servers;
  const n = servers.length;
  const names = servers.map((s) => s.name);
  const byName = new Map(names.map((nm, i) => [nm, i]));
  const root = new Rng(sc.seed);
  setTwosSeed(root.fork('twos').nextU32());
  const wl = new Workload(sc, root);
  const connCapacity = connCapacityFor(sc, wl.peakRatePerSec());
  const dir = new Director(schedName, sc, connCapacity, root.fork('conn-hash').nextU32());
  const jobs = new Jobs();
  const model = sc.serverModel.kind === 'fifo' ? MODEL_FIFO : MODEL_PS;
  const farm = new ServerFarm(
    servers.map((s) => s.capacity),
    model,
    sc.serverModel.kind === 'fifo' ? sc.serverModel.slots : 1,
    jobs,
  );
  const rec = new Recorder(n, sc.bins, endMs, sc.warmupSec * 1000);
  const eq = new EventQueue();
  const prober = makeProber(sc, schedName, wl);
  const weightOf = servers.map((s) => s.weight);
  const slowFactor = new Float64Array(n).fill(1);
  const lostSinceFail = new Float64Array(n);
  const ports = new ClientPorts();
  const pickLog = opts.pickLog ?? 0;
  /** After endMs arrivals go on, unmeasured, until every measured request is done (at most one more duration). */
  const drainEndMs = 2 * endMs;
  let measuring = true;
  let measuredLive = 0;
  let now = 0;

  const resched = (s: number): void => {
    const t = farm.nextCompletionMs(s);
    if (t !== Infinity) eq.push(t, COMPLETE, s, farm.version[s]!);
  };

  const record = (kind: string, s: number, label: string): EventRecord => rec.event(now, kind, names[s]!, label);

  /** A table change through the ServiceTable, with its disruption measured where possible. */
  const change = (kind: string, s: number, label: string, apply: () => void): EventRecord => {
    const before = prober?.map(dir, now) ?? null;
    const wasIn = dir.destOf[s] !== null;
    apply();
    rec.weight(s, dir.weightOf(s), now);
    const ev = record(kind, s, label);
    if (prober !== null && before !== null) {
      let total = 0;
      for (let k = 0; k < n; k++) total += dir.weightOf(k);
      const added = !wasIn && dir.destOf[s] !== null && total > 0 ? dir.weightOf(s) / total : 0;
      ev.disruption = prober.compare(before, prober.map(dir, now), added, (x) => x === s && dir.weightOf(s) === 0);
    }
    return ev;
  };

  /** Every request on s is lost; each client gives up (FIN) after clientTimeoutSec (ABORT frees the job). */
  const cut = (s: number, ev: EventRecord): void => {
    const lost = farm.dropAll(s, now);
    for (const job of lost) {
      measuredLive -= jobs.measured[job]!;
      eq.push(now + sc.clientTimeoutSec * 1000, ABORT, job, 0);
    }
    rec.broken += lost.length;
    rec.failed(now, lost.length);
    ev.brokenInFlight += lost.length;
    resched(s);
  };

  for (let s = 0; s < n; s++) {
    if (servers[s]!.standby) continue;
    dir.add(s, weightOf[s]!);
    rec.weight(s, weightOf[s]!, 0);
  }
  sc.events.forEach((e, i) => eq.push(e.atSec * 1000, SCENARIO, i, 0));
  if (wl.next()) eq.push(wl.tMs, ARRIVAL, 0, 0);
  eq.push(1000, TICK, 0, 0);
  eq.push(rec.binMs, BIN, 0, 0);

  while (eq.size > 0) {
    const next = eq.peekTimeMs();
    if (measuring && next >= endMs) {
      now = endMs;
      rec.closeBin(sc.bins - 1, farm, endMs);
      rec.snapshot(farm);
      rec.finish(endMs);
      measuring = false;
    }
    if (!measuring && (measuredLive === 0 || next >= drainEndMs)) break;
    eq.pop();
    now = eq.popTimeMs;
    const a = eq.popA;
    switch (eq.popKind) {
      case ARRIVAL: {
        if (measuring) rec.arrival(now);
        const vaddr = sc.destinations !== null ? wl.daddr : sc.service.vip;
        const cport = ports.next(wl.client);
        const id = dir.open(wl.caddr, cport, vaddr, now);
        if (id < 0) {
          if (measuring) rec.drop(-id, now);
          if (rec.pickLog.length < pickLog) rec.pickLog.push('-');
        } else {
          const s = dir.serverOfConn(id);
          if (measuring) rec.pick(s, wl.client, wl.demandMs, now);
          if (rec.pickLog.length < pickLog) rec.pickLog.push(names[s]!);
          if (farm.alive[s] === 0) {
            if (measuring) {
              rec.lostToDead++;
              lostSinceFail[s] = lostSinceFail[s]! + 1;
              rec.failed(now, 1);
            }
          } else {
            dir.handshake(id, now);
            const measured = measuring && now >= rec.warmupMs;
            const job = jobs.add(now, wl.demandMs, s, id, wl.caddr, cport, wl.client, measured);
            if (measured) measuredLive++;
            farm.arrive(s, job, now);
            resched(s);
          }
        }
        if (wl.next()) eq.push(wl.tMs, ARRIVAL, 0, 0);
        break;
      }
      case COMPLETE: {
        if (farm.version[a] !== eq.popB) break; // superseded
        const job = farm.complete(a, now);
        resched(a);
        const id = jobs.connId[job]!;
        if (dir.isConn(id, jobs.caddr[job]!, jobs.cport[job]!)) dir.close(id, now);
        if (jobs.measured[job] === 1) {
          rec.completed++;
          measuredLive--;
          rec.response(now - jobs.arrivalMs[job]!, a, jobs.arrivalMs[job]!);
        }
        jobs.free(job);
        break;
      }
      case SCENARIO: {
        if (!measuring) break;
        const e = sc.events[a]!;
        const s = byName.get(e.server)!;
        if (e.action === 'fail') {
          const ev = record('fail', s, `${e.server} fails`);
          cut(s, ev);
          farm.alive[s] = 0;
          farm.setCapacity(s, 0, now);
          lostSinceFail[s] = 0;
          eq.push(now + sc.healthCheck.delaySec * 1000, HEALTH_DOWN, s, 0);
        } else if (e.action === 'recover') {
          record('recover', s, `${e.server} is back`);
          farm.alive[s] = 1;
          farm.setCapacity(s, servers[s]!.capacity * slowFactor[s]!, now);
          eq.push(now + sc.healthCheck.delaySec * 1000, HEALTH_UP, s, 0);
        } else if (e.action === 'slow') {
          slowFactor[s] = e.factor;
          record('slow', s, `${e.server} at ${Math.round(e.factor * 100)}% speed`);
          if (farm.alive[s] === 1) farm.setCapacity(s, servers[s]!.capacity * e.factor, now);
          resched(s);
        } else if (e.action === 'add') {
          change('add', s, `ipvsadm -a ${e.server}`, () => dir.add(s, weightOf[s]!));
        } else if (e.action === 'remove') {
          cut(
            s,
            change('remove', s, `ipvsadm -d ${e.server}`, () => dir.remove(s)),
          );
        } else {
          weightOf[s] = e.weight;
          change('weight', s, `ipvsadm -e ${e.server} -w ${e.weight}`, () => dir.setWeight(s, e.weight));
        }
        break;
      }
      case HEALTH_DOWN: {
        if (!measuring || farm.alive[a] === 1 || dir.destOf[a] === null) break; // back already, or not in service
        const quiesce = sc.healthCheck.onFailure === 'quiesce';
        const ev = change(
          'health-down',
          a,
          `health check: ${quiesce ? `-e ${names[a]} -w 0` : `-d ${names[a]}`}`,
          () => (quiesce ? dir.setWeight(a, 0) : dir.remove(a)),
        );
        ev.lostBeforeDetection = lostSinceFail[a]!;
        break;
      }
      case HEALTH_UP: {
        if (!measuring || farm.alive[a] === 0) break;
        if (dir.destOf[a] === null)
          change('health-up', a, `health check: -a ${names[a]}`, () => dir.add(a, weightOf[a]!));
        else if (dir.weightOf(a) === 0)
          change('health-up', a, `health check: -e ${names[a]} -w ${weightOf[a]}`, () =>
            dir.setWeight(a, weightOf[a]!),
          );
        break;
      }
      case TICK:
        dir.expire(now);
        eq.push(now + 1000, TICK, 0, 0);
        break;
      case BIN:
        rec.closeBin(a, farm, now);
        if (a + 1 < sc.bins - 1) eq.push((a + 2) * rec.binMs, BIN, a + 1, 0);
        break;
      case ABORT:
        if (dir.isConn(jobs.connId[a]!, jobs.caddr[a]!, jobs.cport[a]!)) dir.clientCloses(jobs.connId[a]!, now);
        jobs.free(a);
        break;
    }
  }
  if (measuring) {
    now = endMs;
    rec.closeBin(sc.bins - 1, farm, endMs);
    rec.snapshot(farm);
    rec.finish(endMs);
  }
  rec.censor(farm, Math.max(now, endMs));
  return {
    scheduler: schedName,
    scenario: sc,
    durationMs: endMs,
    rec,
    farm,
    names,
    connCapacity,
    wallMs: performance.now() - wall,
  };
}
