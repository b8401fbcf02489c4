// Real servers of a scenario: explicit entries and generated groups (10,000 servers), with
// capacity (service rate) and ipvsadm weight/thresholds per server. No kernel counterpart.

import { TsvsError } from '../../src/lib/errors.ts';
import { parseDottedQuad } from '../../src/lib/inet.ts';
import { list, num, obj, optNum, str, type Raw } from './scenario-fields.ts';

export interface ServerSpec {
  readonly name: string;
  /** Real server address (uint32); the port is the service port. */
  readonly addr: number;
  /** -w. */
  readonly weight: number;
  /** Work per ms it does: a request of demand D ms takes D / capacity ms alone on it. */
  readonly capacity: number;
  /** -x / -y connection thresholds (0 = none). */
  readonly uThreshold: number;
  readonly lThreshold: number;
  /** Not in the service at start: an "add" event brings it in (autoscaling, a new node). */
  readonly standby: boolean;
}

/** Default addresses: 192.168.99.1, .2, ... and on into 192.168.100.x for big farms. */
const DEFAULT_BASE = 0xc0a86301;

function bad(where: string, what: string): TsvsError {
  return new TsvsError('EINVAL', `${where}: ${what}`);
}

function addrOf(r: Raw, where: string, dflt: number): number {
  const v = r['addr'];
  if (v === undefined) return dflt;
  const a = typeof v === 'string' ? parseDottedQuad(v) : null;
  if (a === null) throw bad(where, 'addr must be a dotted quad');
  return a;
}

/**
 * servers: [ {name, addr?, weight, capacity, uThreshold?, lThreshold?, standby?}
 *          | {group: {count, prefix, weights: [..] (cycled), capacityPerWeight?, firstAddr?}} ]
 */
export function expandServers(raw: unknown, where: string): ServerSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) throw bad(where, 'must be a non-empty array');
  const out: ServerSpec[] = [];
  const seen = new Set<string>();
  const seenAddr = new Set<number>();
  const push = (s: ServerSpec, w: string): void => {
    if (seen.has(s.name)) throw bad(w, `duplicate server name ${s.name}`);
    if (seenAddr.has(s.addr)) throw bad(w, `duplicate server address for ${s.name}`);
    seen.add(s.name);
    seenAddr.add(s.addr);
    out.push(s);
  };
  raw.forEach((item, i) => {
    const w = `${where}[${i}]`;
    const r = obj(item, w);
    if (r['group'] !== undefined) {
      const g = obj(r['group'], `${w}.group`);
      const gw = `${w}.group`;
      const count = num(g, 'count', gw, { min: 1, max: 100000, int: true });
      const prefix = str(g, 'prefix', gw);
      const weights = list(g, 'weights', gw).map((x, k) => {
        if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 65535)
          throw bad(`${gw}.weights[${k}]`, 'must be an integer 0..65535');
        return x;
      });
      if (weights.length === 0) throw bad(gw, 'weights must list at least one weight');
      const perWeight = optNum(g, 'capacityPerWeight', gw, 1, { min: 1e-9 });
      const first = addrOf(g['firstAddr'] === undefined ? {} : { addr: g['firstAddr'] }, gw, DEFAULT_BASE + out.length);
      for (let k = 0; k < count; k++) {
        const weight = weights[k % weights.length]!;
        push(
          {
            name: `${prefix}${k + 1}`,
            addr: (first + k) >>> 0,
            weight,
            capacity: Math.max(weight, 1) * perWeight,
            uThreshold: 0,
            lThreshold: 0,
            standby: false,
          },
          gw,
        );
      }
      return;
    }
    const uThreshold = optNum(r, 'uThreshold', w, 0, { min: 0, int: true });
    const lThreshold = optNum(r, 'lThreshold', w, 0, { min: 0, int: true });
    if (lThreshold > uThreshold) throw bad(w, 'lThreshold is higher than uThreshold');
    push(
      {
        name: str(r, 'name', w),
        addr: addrOf(r, w, DEFAULT_BASE + out.length),
        weight: optNum(r, 'weight', w, 1, { min: 0, max: 65535, int: true }),
        capacity: optNum(r, 'capacity', w, 1, { min: 1e-9 }),
        uThreshold,
        lThreshold,
        standby: r['standby'] === true,
      },
      w,
    );
  });
  return out;
}
