// Scenario files of the scheduler simulator (bench/scenarios/*.json): the types, and a loader
// that checks every field and fills the defaults (arrivals and demand: scenario-traffic.ts). No
// kernel counterpart; the servers, weights, thresholds, persistence and -b flags it describes are
// what ipvsadm -A/-a would be given.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsvsError } from '../../src/lib/errors.ts';
import { parseDottedQuad } from '../../src/lib/inet.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from '../../src/model/service.ts';
import { expandServers, type ServerSpec } from './scenario-servers.ts';
import { bad, field, list, num, obj, oneOf, optNum, str, type Raw } from './scenario-fields.ts';
import { parseArrivals, parseDemand, type ArrivalSpec, type DemandSpec } from './scenario-traffic.ts';

export type { ServerSpec } from './scenario-servers.ts';

/** bench/scenarios, next to this folder. */
export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

export type ServerModel = { readonly kind: 'ps' } | { readonly kind: 'fifo'; readonly slots: number };

export type EventAction = 'fail' | 'recover' | 'slow' | 'add' | 'remove' | 'weight';

export interface ScenarioEvent {
  readonly atSec: number;
  readonly action: EventAction;
  readonly server: string;
  /** slow: capacity = configured capacity * factor (1 = back to normal). */
  readonly factor: number;
  /** weight: the new weight (ipvsadm -e -w). */
  readonly weight: number;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly teaches: string;
  readonly durationSec: number;
  /** Responses of requests that arrived before this are left out of the latency figures. */
  readonly warmupSec: number;
  readonly seed: number;
  readonly schedulers: readonly string[];
  readonly servers: readonly ServerSpec[];
  readonly serverModel: ServerModel;
  readonly arrivals: ArrivalSpec;
  readonly demand: DemandSpec;
  /** Distinct client addresses, drawn by Zipf rank (zipf 0 = uniform). */
  readonly clients: { readonly count: number; readonly zipf: number };
  /** Destination addresses for dh/lblc/lblcr (a firewall-mark cache service); null = the VIP. */
  readonly destinations: { readonly count: number; readonly zipf: number } | null;
  readonly service: {
    readonly vip: number;
    readonly port: number;
    /** -p seconds; 0 = not persistent. */
    readonly persistentSec: number;
    /** -M, uint32. */
    readonly netmask: number;
    /** -b names (sh-fallback, sh-port, mh-fallback, mh-port); each applies to its scheduler only. */
    readonly schedFlags: readonly string[];
  };
  readonly healthCheck: { readonly delaySec: number; readonly onFailure: 'remove' | 'quiesce' };
  /** A client whose server stopped answering closes its socket (FIN) after this long. */
  readonly clientTimeoutSec: number;
  readonly events: readonly ScenarioEvent[];
  /** Time bins of the over-time plots. */
  readonly bins: number;
  /** ConnManager capacity; 0 = sized from the arrival rate (TIME_WAIT lasts 120 s). */
  readonly connCapacity: number;
  /** Folder of the scenario file (trace paths are relative to it). */
  readonly baseDir: string;
}

const SCHED_FLAG_NAMES = ['sh-fallback', 'sh-port', 'mh-fallback', 'mh-port'];

/** The file a --scenario argument names: a path, or a name in bench/scenarios. */
export function scenarioPath(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  const byName = join(SCENARIO_DIR, arg.endsWith('.json') ? arg : `${arg}.json`);
  if (existsSync(byName)) return byName;
  throw new TsvsError('ENOENT', `no scenario ${arg} (neither a file nor bench/scenarios/${arg}.json)`);
}

export function loadScenario(arg: string): Scenario {
  const path = scenarioPath(arg);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TsvsError('EINVAL', `scenario ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseScenario(raw, dirname(path), `scenario ${path}`);
}

/** Check a scenario object (as read from JSON) and fill the defaults. */
export function parseScenario(raw: unknown, baseDir: string, where = 'scenario'): Scenario {
  const r = obj(raw, where);
  const name = str(r, 'name', where);
  const servers = expandServers(field(r, 'servers', where), `${where}: servers`);
  const names = new Set(servers.map((s) => s.name));
  const durationSec = num(r, 'durationSec', where, { min: 0.001 });
  const svc = obj(r['service'] ?? {}, `${where}: service`);
  const vipText = typeof svc['vip'] === 'string' ? svc['vip'] : '192.168.88.5';
  const vip = parseDottedQuad(vipText);
  if (vip === null) throw bad(`${where}: service.vip`, `${vipText} is not a dotted quad`);
  const maskText = typeof svc['netmask'] === 'string' ? svc['netmask'] : '255.255.255.255';
  const netmask = parseDottedQuad(maskText);
  if (netmask === null) throw bad(`${where}: service.netmask`, `${maskText} is not a dotted quad`);
  const schedFlags = list(svc, 'schedFlags', `${where}: service`).map((f, i) => {
    if (typeof f !== 'string' || !SCHED_FLAG_NAMES.includes(f)) {
      throw bad(`${where}: service.schedFlags[${i}]`, `must be one of ${SCHED_FLAG_NAMES.join(', ')}`);
    }
    return f;
  });
  const hc = obj(r['healthCheck'] ?? {}, `${where}: healthCheck`);
  const events = list(r, 'events', where).map((e, i) => parseEvent(e, `${where}: events[${i}]`, names));
  const schedulers = list(r, 'schedulers', where).map((s, i) => {
    if (typeof s !== 'string' || s === '') throw bad(`${where}: schedulers[${i}]`, 'must be a scheduler name');
    return s;
  });
  const dests = r['destinations'];
  const arrivals = parseArrivals(field(r, 'arrivals', where), `${where}: arrivals`);
  const cl = obj(r['clients'] ?? {}, `${where}: clients`);
  return {
    name,
    title: typeof r['title'] === 'string' ? r['title'] : name,
    teaches: str(r, 'teaches', where),
    durationSec,
    warmupSec: optNum(r, 'warmupSec', where, 0, { min: 0 }),
    seed: optNum(r, 'seed', where, 1, { min: 0, max: 0xffffffff, int: true }),
    schedulers: schedulers.length > 0 ? schedulers : ['rr', 'wrr', 'lc', 'wlc'],
    servers,
    serverModel: parseModel(r['serverModel'] ?? { kind: 'ps' }, `${where}: serverModel`),
    arrivals,
    // A trace carries each request's demand; demand is then not used.
    demand:
      arrivals.kind === 'trace' && r['demand'] === undefined
        ? { kind: 'fixed', ms: 1 }
        : parseDemand(field(r, 'demand', where), `${where}: demand`),
    clients: {
      count: optNum(cl, 'count', `${where}: clients`, 1000, { min: 1, max: 0xffffff, int: true }),
      zipf: optNum(cl, 'zipf', `${where}: clients`, 0, { min: 0 }),
    },
    destinations:
      dests === undefined
        ? null
        : {
            count: num(obj(dests, `${where}: destinations`), 'count', `${where}: destinations`, {
              min: 1,
              max: 0xffffff,
              int: true,
            }),
            zipf: optNum(obj(dests, `${where}: destinations`), 'zipf', `${where}: destinations`, 0, { min: 0 }),
          },
    service: {
      vip,
      port: optNum(svc, 'port', `${where}: service`, 80, { min: 1, max: 65535, int: true }),
      persistentSec: optNum(svc, 'persistentSec', `${where}: service`, 0, { min: 0, max: 2678400, int: true }),
      netmask,
      schedFlags,
    },
    healthCheck: {
      delaySec: optNum(hc, 'delaySec', `${where}: healthCheck`, 3, { min: 0 }),
      onFailure: oneOf(hc, 'onFailure', `${where}: healthCheck`, ['remove', 'quiesce'] as const, 'remove'),
    },
    clientTimeoutSec: optNum(r, 'clientTimeoutSec', where, 30, { min: 0 }),
    events,
    bins: optNum(r, 'bins', where, 60, { min: 2, max: 1000, int: true }),
    connCapacity: optNum(r, 'connCapacity', where, 0, { min: 0, max: 1 << 24, int: true }),
    baseDir,
  };
}

function parseModel(raw: unknown, where: string): ServerModel {
  const r = obj(raw, where);
  const kind = oneOf(r, 'kind', where, ['ps', 'fifo'] as const);
  if (kind === 'ps') return { kind };
  return { kind, slots: optNum(r, 'slots', where, 1, { min: 1, max: 100000, int: true }) };
}

function parseEvent(raw: unknown, where: string, names: Set<string>): ScenarioEvent {
  const r: Raw = obj(raw, where);
  const action = oneOf(r, 'action', where, ['fail', 'recover', 'slow', 'add', 'remove', 'weight'] as const);
  const server = str(r, 'server', where);
  if (!names.has(server)) throw bad(where, `no server named ${server}`);
  return {
    atSec: num(r, 'atSec', where, { min: 0 }),
    action,
    server,
    factor: action === 'slow' ? num(r, 'factor', where, { min: 0.0001 }) : 1,
    weight: action === 'weight' ? num(r, 'weight', where, { min: 0, max: 65535, int: true }) : 0,
  };
}

/** Which -b bits a scheduler gets from the scenario's flag names (sh-* for sh, mh-* for mh). */
export function schedFlagsFor(sc: Scenario, schedName: string): number {
  let flags = 0;
  for (const f of sc.service.schedFlags) {
    if (f.slice(0, 2) !== schedName) continue;
    flags |= f.endsWith('-fallback') ? SVC_F_SCHED1 : SVC_F_SCHED2;
  }
  return flags;
}
