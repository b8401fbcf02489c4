// The traffic of a scenario file: how requests arrive (Poisson with rate phases, on/off bursts, or
// a recorded trace) and how much work each one asks of a server. Checked field by field like the
// rest of scenario.ts. No kernel counterpart.

import { bad, list, num, obj, oneOf, optNum, str } from './scenario-fields.ts';

export interface RatePhase {
  readonly fromSec: number;
  readonly toSec: number;
  readonly ratePerSec: number;
}

export type ArrivalSpec =
  | { readonly kind: 'poisson'; readonly ratePerSec: number; readonly phases: readonly RatePhase[] }
  | {
      readonly kind: 'onoff';
      readonly onRatePerSec: number;
      readonly offRatePerSec: number;
      readonly meanOnSec: number;
      readonly meanOffSec: number;
    }
  /** Rows "time_ms,demand_ms[,client]" or "time_ms,bytes[,client]" (with a header naming bytes). */
  | { readonly kind: 'trace'; readonly file: string; readonly bytesPerMs: number; readonly loop: boolean };

export type DemandSpec =
  | { readonly kind: 'exp'; readonly meanMs: number }
  | { readonly kind: 'pareto'; readonly meanMs: number; readonly alpha: number }
  | { readonly kind: 'fixed'; readonly ms: number };

export function parseArrivals(raw: unknown, where: string): ArrivalSpec {
  const r = obj(raw, where);
  const kind = oneOf(r, 'kind', where, ['poisson', 'onoff', 'trace'] as const);
  if (kind === 'poisson') {
    const phases = list(r, 'phases', where).map((p, i) => {
      const w = `${where}.phases[${i}]`;
      const o = obj(p, w);
      const ph = {
        fromSec: num(o, 'fromSec', w, { min: 0 }),
        toSec: num(o, 'toSec', w, { min: 0 }),
        ratePerSec: num(o, 'ratePerSec', w, { min: 0 }),
      };
      if (ph.toSec <= ph.fromSec) throw bad(w, 'toSec must be after fromSec');
      return ph;
    });
    return { kind, ratePerSec: num(r, 'ratePerSec', where, { min: 0 }), phases };
  }
  if (kind === 'onoff') {
    return {
      kind,
      onRatePerSec: num(r, 'onRatePerSec', where, { min: 0 }),
      offRatePerSec: optNum(r, 'offRatePerSec', where, 0, { min: 0 }),
      meanOnSec: num(r, 'meanOnSec', where, { min: 0.001 }),
      meanOffSec: num(r, 'meanOffSec', where, { min: 0.001 }),
    };
  }
  return {
    kind,
    file: str(r, 'file', where),
    bytesPerMs: optNum(r, 'bytesPerMs', where, 12500, { min: 1e-9 }),
    loop: r['loop'] === true,
  };
}

export function parseDemand(raw: unknown, where: string): DemandSpec {
  const r = obj(raw, where);
  const kind = oneOf(r, 'kind', where, ['exp', 'pareto', 'fixed'] as const);
  if (kind === 'exp') return { kind, meanMs: num(r, 'meanMs', where, { min: 1e-6 }) };
  if (kind === 'pareto') {
    return { kind, meanMs: num(r, 'meanMs', where, { min: 1e-6 }), alpha: num(r, 'alpha', where, { min: 1.0001 }) };
  }
  return { kind, ms: num(r, 'ms', where, { min: 1e-6 }) };
}
