// Test helpers for the scheduler simulator: small scenarios built in code.

import { parseScenario, type Scenario } from '../../bench/sim/scenario.ts';

/** A scenario from a partial JSON object (defaults: 1 server, Poisson 50/s, exp 10 ms, 100 s). */
export function mini(over: Record<string, unknown>, baseDir = '/tmp'): Scenario {
  return parseScenario(
    {
      name: 'mini',
      teaches: 'a test',
      durationSec: 100,
      servers: [{ name: 'web1' }],
      arrivals: { kind: 'poisson', ratePerSec: 50 },
      demand: { kind: 'exp', meanMs: 10 },
      clients: { count: 100 },
      ...over,
    },
    baseDir,
  );
}

export function meanOf(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  return s / n;
}

/** The tutorial's service: web1 192.168.99.100 -w 1, web2 192.168.99.200 -w 2 (added in that order). */
export const TUTORIAL_SERVERS = [
  { name: 'web1', addr: '192.168.99.100', weight: 1, capacity: 1 },
  { name: 'web2', addr: '192.168.99.200', weight: 2, capacity: 2 },
];
