// The scenario's events in a simulation run: a server fails, recovers, slows down, is added,
// removed or re-weighted with ipvsadm, and the health checker reacts after its delay by removing
// (or quiescing) and re-adding it through the ServiceTable. No kernel counterpart.

import { HEALTH_DOWN, HEALTH_UP, type SimState } from './sim-state.ts';

/** SCENARIO: sc.events[i] happens now (ignored once the measured time is over). */
export function scenarioEvent(st: SimState, i: number): void {
  if (!st.measuring) return;
  const { sc, farm, dir, eq, servers, now } = st;
  const e = sc.events[i]!;
  const s = st.byName.get(e.server)!;
  if (e.action === 'fail') {
    const ev = st.record('fail', s, `${e.server} fails`);
    st.cut(s, ev);
    farm.alive[s] = 0;
    farm.setCapacity(s, 0, now);
    st.lostSinceFail[s] = 0;
    eq.push(now + sc.healthCheck.delaySec * 1000, HEALTH_DOWN, s, 0);
  } else if (e.action === 'recover') {
    st.record('recover', s, `${e.server} is back`);
    farm.alive[s] = 1;
    farm.setCapacity(s, servers[s]!.capacity * st.slowFactor[s]!, now);
    eq.push(now + sc.healthCheck.delaySec * 1000, HEALTH_UP, s, 0);
  } else if (e.action === 'slow') {
    st.slowFactor[s] = e.factor;
    st.record('slow', s, `${e.server} at ${Math.round(e.factor * 100)}% speed`);
    if (farm.alive[s] === 1) farm.setCapacity(s, servers[s]!.capacity * e.factor, now);
    st.resched(s);
  } else if (e.action === 'add') {
    st.change('add', s, `ipvsadm -a ${e.server}`, () => dir.add(s, st.weightOf[s]!));
  } else if (e.action === 'remove') {
    st.cut(
      s,
      st.change('remove', s, `ipvsadm -d ${e.server}`, () => dir.remove(s)),
    );
  } else {
    st.weightOf[s] = e.weight;
    st.change('weight', s, `ipvsadm -e ${e.server} -w ${e.weight}`, () => dir.setWeight(s, e.weight));
  }
}

/** HEALTH_DOWN: the checker noticed a's failure; -d, or -w 0 when the scenario quiesces. */
export function healthDown(st: SimState, a: number): void {
  const { dir, names } = st;
  if (!st.measuring || st.farm.alive[a] === 1 || dir.destOf[a] === null) return; // back already, or not in service
  const quiesce = st.sc.healthCheck.onFailure === 'quiesce';
  const ev = st.change('health-down', a, `health check: ${quiesce ? `-e ${names[a]} -w 0` : `-d ${names[a]}`}`, () =>
    quiesce ? dir.setWeight(a, 0) : dir.remove(a),
  );
  ev.lostBeforeDetection = st.lostSinceFail[a]!;
}

/** HEALTH_UP: the checker sees a alive again and puts it back with its configured weight. */
export function healthUp(st: SimState, a: number): void {
  const { dir, names, weightOf } = st;
  if (!st.measuring || st.farm.alive[a] === 0) return;
  if (dir.destOf[a] === null) st.change('health-up', a, `health check: -a ${names[a]}`, () => dir.add(a, weightOf[a]!));
  else if (dir.weightOf(a) === 0)
    st.change('health-up', a, `health check: -e ${names[a]} -w ${weightOf[a]}`, () => dir.setWeight(a, weightOf[a]!));
}
