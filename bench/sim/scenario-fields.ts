// Field checks for scenario files (bench/sim/scenario.ts): each reads one key of a JSON object
// and throws EINVAL naming the file, the key and what was expected. No kernel counterpart.

import { TsvsError } from '../../src/lib/errors.ts';

export type Raw = Record<string, unknown>;

export interface NumLimits {
  readonly min?: number;
  readonly max?: number;
  readonly int?: boolean;
}

export function bad(where: string, what: string): TsvsError {
  return new TsvsError('EINVAL', `${where}: ${what}`);
}

export function obj(v: unknown, where: string): Raw {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(where, 'must be an object');
  return v as Raw;
}

export function field(r: Raw, key: string, where: string): unknown {
  const v = r[key];
  if (v === undefined) throw bad(where, `${key} is missing`);
  return v;
}

export function str(r: Raw, key: string, where: string): string {
  const v = field(r, key, where);
  if (typeof v !== 'string' || v === '') throw bad(where, `${key} must be a non-empty string`);
  return v;
}

function checkNum(v: unknown, key: string, where: string, lim: NumLimits): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, `${key} must be a number`);
  if (lim.int === true && !Number.isInteger(v)) throw bad(where, `${key} must be an integer`);
  if (lim.min !== undefined && v < lim.min) throw bad(where, `${key} must be >= ${lim.min}`);
  if (lim.max !== undefined && v > lim.max) throw bad(where, `${key} must be <= ${lim.max}`);
  return v;
}

export function num(r: Raw, key: string, where: string, lim: NumLimits = {}): number {
  return checkNum(field(r, key, where), key, where, lim);
}

export function optNum(r: Raw, key: string, where: string, dflt: number, lim: NumLimits = {}): number {
  const v = r[key];
  return v === undefined ? dflt : checkNum(v, key, where, lim);
}

export function list(r: Raw, key: string, where: string): unknown[] {
  const v = r[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(where, `${key} must be an array`);
  return v;
}

export function oneOf<T extends string>(r: Raw, key: string, where: string, values: readonly T[], dflt?: T): T {
  const v = r[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw bad(where, `${key} must be one of ${values.join(', ')}`);
  }
  return v as T;
}
