// The discrete-event simulation of one scheduler on one scenario: the event loop over a
// SimState (sim-state.ts: requests through the REAL director code and the server farm) and the
// scenario's events with the health checker's reactions (sim-events.ts). Time is simulated:
// hours run in seconds. No kernel counterpart.

import { findScheduler } from '../../src/sched/registry.ts';
import { TsvsError } from '../../src/lib/errors.ts';
import type { Scenario } from './scenario.ts';
import type { ServerFarm } from './server-farm.ts';
import type { Recorder } from './recorder.ts';
import { ABORT, ARRIVAL, BIN, COMPLETE, HEALTH_DOWN, HEALTH_UP, SCENARIO, SimState, TICK } from './sim-state.ts';
import { healthDown, healthUp, scenarioEvent } from './sim-events.ts';

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

export function simulate(sc: Scenario, schedName: string, opts: SimOptions = {}): SimRun {
  if (findScheduler(schedName) === undefined)
    throw new TsvsError('ENOENT', `Scheduler module ip_vs_${schedName} not found`);
  const wall = performance.now();
  const endMs = (opts.durationSec ?? sc.durationSec) * 1000;
  const st = new SimState(sc, schedName, endMs, opts.pickLog ?? 0);
  const { servers, dir, rec, farm, eq, wl, weightOf } = st;
  /** After endMs arrivals go on, unmeasured, until every measured request is done (at most one more duration). */
  const drainEndMs = 2 * endMs;

  for (let s = 0; s < st.n; s++) {
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
    if (st.measuring && next >= endMs) {
      st.now = endMs;
      rec.closeBin(sc.bins - 1, farm, endMs);
      rec.snapshot(farm);
      rec.finish(endMs);
      st.measuring = false;
    }
    if (!st.measuring && (st.measuredLive === 0 || next >= drainEndMs)) break;
    eq.pop();
    const now = eq.popTimeMs;
    st.now = now;
    const a = eq.popA;
    switch (eq.popKind) {
      case ARRIVAL:
        st.arrival();
        break;
      case COMPLETE:
        st.complete(a, eq.popB);
        break;
      case SCENARIO:
        scenarioEvent(st, a);
        break;
      case HEALTH_DOWN:
        healthDown(st, a);
        break;
      case HEALTH_UP:
        healthUp(st, a);
        break;
      case TICK:
        dir.expire(now);
        eq.push(now + 1000, TICK, 0, 0);
        break;
      case BIN:
        rec.closeBin(a, farm, now);
        if (a + 1 < sc.bins - 1) eq.push((a + 2) * rec.binMs, BIN, a + 1, 0);
        break;
      case ABORT:
        st.abort(a);
        break;
    }
  }
  if (st.measuring) {
    st.now = endMs;
    rec.closeBin(sc.bins - 1, farm, endMs);
    rec.snapshot(farm);
    rec.finish(endMs);
  }
  rec.censor(farm, Math.max(st.now, endMs));
  return {
    scheduler: schedName,
    scenario: sc,
    durationMs: endMs,
    rec,
    farm,
    names: st.names,
    connCapacity: st.connCapacity,
    wallMs: performance.now() - wall,
  };
}
