// reconcile: makes the running service table hold what the config's [rules] declare, as a diff.
// Like keepalived's reload (check/ipwrapper.c: clear_diff_services() and clear_diff_rs() remove
// the virtual and real servers that left the configuration, init_services() adds or edits the
// rest in place), a service or real server whose running values already match is not touched:
// it keeps its object, its connections and its counters. Nothing is flushed and re-added.
//
// Ownership: the config owns what it names. What the previous config named and this one does
// not is removed; what no config named (added at runtime with tsvsadm) is left alone.

import type { TimeoutValues } from '../model/data-plane.ts';
import type { DestSpec, ServiceKey, ServiceRule, ServiceSpec } from '../model/rule-spec.ts';
import { addrPortText, addrText, describeServiceKey, serviceIdentity } from '../model/rule-spec.ts';
import { destAddrIs } from '../model/dest.ts';
import { ServiceTable } from '../model/service-table.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { destSpecOf, specOf } from '../model/spec-of.ts';
import { timeoutsFromWire } from '../wire/wire-convert.ts';
import { MemoryDataPlane } from './memory-data-plane.ts';
import { applyRules, type ParsedRule } from './load-rules.ts';

/** What a config's [rules] section declares: its services with their real servers, and --set. */
export interface DesiredRules {
  readonly services: readonly ServiceRule[];
  /** The config's --set values merged in order (0 = not set), or null without a --set line. */
  readonly timeouts: { readonly tcp: number; readonly tcpFin: number; readonly udp: number } | null;
}

export type Step =
  | { readonly kind: 'add-service' | 'edit-service'; readonly spec: ServiceSpec }
  | { readonly kind: 'del-service'; readonly key: ServiceKey }
  | { readonly kind: 'add-dest' | 'edit-dest'; readonly key: ServiceKey; readonly dest: DestSpec }
  | { readonly kind: 'del-dest'; readonly key: ServiceKey; readonly dest: DestSpec }
  | {
      readonly kind: 'timeouts';
      readonly timeouts: { readonly tcp: number; readonly tcpFin: number; readonly udp: number };
    };

/**
 * Runs the rules on an empty scratch table ('ensure' mode, as a config is read) and returns
 * what they leave: the config must be complete in itself, so a real server line needs its
 * service in the same config. Throws RuleLineError naming the line.
 */
export function desiredFromRules(
  rules: readonly ParsedRule[],
  findScheduler: (name: string) => SchedulerFactory | undefined,
): DesiredRules {
  const scratch = new ServiceTable({ findScheduler });
  const dp = new MemoryDataPlane();
  const t = { tcp: 0, tcpFin: 0, udp: 0 };
  let hasSet = false;
  try {
    applyRules({ table: scratch, dataPlane: () => dp }, rules, 'ensure');
    for (const { req } of rules) {
      if (req.op !== 'timeouts.set') continue;
      const v = timeoutsFromWire(req.args?.['timeouts']);
      hasSet = true;
      t.tcp = v.tcp || t.tcp;
      t.tcpFin = v.tcpFin || t.tcpFin;
      t.udp = v.udp || t.udp;
    }
    return { services: scratch.toRules(), timeouts: hasSet ? t : null };
  } finally {
    scratch.clear();
  }
}

function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return (
    a.schedName === b.schedName &&
    a.flags === b.flags &&
    a.timeoutSec === b.timeoutSec &&
    a.netmask >>> 0 === b.netmask >>> 0 &&
    a.peName === b.peName
  );
}

function sameDest(a: DestSpec, b: DestSpec): boolean {
  return (
    a.fwd === b.fwd &&
    a.weight === b.weight &&
    a.uThreshold === b.uThreshold &&
    a.lThreshold === b.lThreshold &&
    (a.tunType ?? 0) === (b.tunType ?? 0) &&
    (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
    (a.tunFlags ?? 0) === (b.tunFlags ?? 0)
  );
}

function destKeyText(d: DestSpec): string {
  return `${d.af}|${addrText(d.af, d.addr, d.addr6)}|${d.port}`;
}

function serviceKeyText(k: ServiceKey): string {
  return serviceIdentity(k);
}

/**
 * The steps that make `live` hold `want`, given that `owned` is what the previous config
 * declared (null: unknown, nothing is removed). Removals come first, then services, then
 * their real servers in the config's order, then the timeouts.
 */
export function planReconcile(
  live: ServiceTable,
  liveTimeouts: TimeoutValues,
  owned: DesiredRules | null,
  want: DesiredRules,
): Step[] {
  const steps: Step[] = [];
  const wanted = new Map(want.services.map((r) => [serviceKeyText(r.service), r]));
  for (const old of owned?.services ?? []) {
    const w = wanted.get(serviceKeyText(old.service));
    const svc = live.find(old.service);
    if (svc === null) continue;
    if (w === undefined) {
      steps.push({ kind: 'del-service', key: old.service });
      continue;
    }
    const keep = new Set(w.dests.map(destKeyText));
    for (const d of old.dests) {
      if (keep.has(destKeyText(d))) continue;
      if (svc.dests.some((x) => x.port === d.port && destAddrIs(x, d.af, d.addr, d.addr6)))
        steps.push({ kind: 'del-dest', key: old.service, dest: d });
    }
  }
  for (const w of want.services) {
    const svc = live.find(w.service);
    if (svc === null) steps.push({ kind: 'add-service', spec: w.service });
    else if (!sameService(specOf(svc), w.service)) steps.push({ kind: 'edit-service', spec: w.service });
    for (const d of w.dests) {
      const cur = svc?.dests.find((x) => x.port === d.port && destAddrIs(x, d.af, d.addr, d.addr6));
      if (cur === undefined) steps.push({ kind: 'add-dest', key: w.service, dest: d });
      else if (!sameDest(destSpecOf(cur), d)) steps.push({ kind: 'edit-dest', key: w.service, dest: d });
    }
  }
  const t = want.timeouts;
  if (
    t !== null &&
    ((t.tcp !== 0 && t.tcp !== liveTimeouts.tcpSec) ||
      (t.tcpFin !== 0 && t.tcpFin !== liveTimeouts.tcpFinSec) ||
      (t.udp !== 0 && t.udp !== liveTimeouts.udpSec))
  )
    steps.push({ kind: 'timeouts', timeouts: t });
  return steps;
}

/** Applies the steps in order; a failing step throws an Error naming it. */
export function applySteps(
  table: ServiceTable,
  setTimeouts: (t: TimeoutValues) => void,
  current: () => TimeoutValues,
  steps: readonly Step[],
): void {
  for (const s of steps) {
    try {
      switch (s.kind) {
        case 'add-service':
          table.addService(s.spec);
          break;
        case 'edit-service':
          table.editService(s.spec);
          break;
        case 'del-service':
          table.deleteService(s.key);
          break;
        case 'add-dest':
          table.addDest(s.key, s.dest);
          break;
        case 'edit-dest':
          table.editDest(s.key, s.dest);
          break;
        case 'del-dest':
          table.deleteDest(s.key, s.dest.addr, s.dest.port, s.dest.af, s.dest.addr6);
          break;
        case 'timeouts': {
          // ip_vs_set_timeout(): a zero leaves that timeout as it is.
          const cur = current();
          setTimeouts({
            tcpSec: s.timeouts.tcp || cur.tcpSec,
            tcpFinSec: s.timeouts.tcpFin || cur.tcpFinSec,
            udpSec: s.timeouts.udp || cur.udpSec,
          });
          break;
        }
      }
    } catch (e) {
      throw new Error(`${describeStep(s)}: ${(e as Error).message}`, { cause: e });
    }
  }
}

function describeStep(s: Step): string {
  switch (s.kind) {
    case 'timeouts':
      return `--set ${s.timeouts.tcp} ${s.timeouts.tcpFin} ${s.timeouts.udp}`;
    case 'add-service':
    case 'edit-service':
      return `${s.kind} ${describeServiceKey(s.spec)}`;
    case 'del-service':
      return `${s.kind} ${describeServiceKey(s.key)}`;
    default:
      return `${s.kind} ${describeServiceKey(s.key)} -> ${addrPortText(s.dest.af, s.dest.addr, s.dest.addr6, s.dest.port)}`;
  }
}

const COUNT_NAMES: Readonly<Record<Step['kind'], string>> = {
  'add-service': 'servicesAdded',
  'edit-service': 'servicesEdited',
  'del-service': 'servicesRemoved',
  'add-dest': 'realServersAdded',
  'edit-dest': 'realServersEdited',
  'del-dest': 'realServersRemoved',
  timeouts: 'timeoutsSet',
};

/** Counts for the reload log line, e.g. { servicesAdded: 2, realServersRemoved: 1 }. */
export function stepCounts(steps: readonly Step[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of steps) out[COUNT_NAMES[s.kind]] = (out[COUNT_NAMES[s.kind]] ?? 0) + 1;
  return out;
}
