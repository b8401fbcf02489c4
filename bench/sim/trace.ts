// Replayed traces for the scheduler simulator: a CSV of request arrivals. No kernel counterpart.
//
//   # comments and blank lines are skipped
//   time_ms,demand_ms,client          header optional; "bytes" in the 2nd column's name means
//   0.0,12.5,10.0.0.7                 sizes in bytes (demand = bytes / bytesPerMs)
//   3.1,80,                           client optional: drawn from the scenario's clients then

import { readFileSync } from 'node:fs';
import { TsvsError } from '../../src/lib/errors.ts';
import { parseDottedQuad } from '../../src/lib/inet.ts';

export interface Trace {
  readonly timeMs: Float64Array;
  readonly demandMs: Float64Array;
  /** Client address per row, or -1 when the row names none. */
  readonly client: Float64Array;
  /** Time after the last row before a looped replay starts over. */
  readonly spanMs: number;
}

export function parseTrace(text: string, bytesPerMs: number, where: string): Trace {
  const times: number[] = [];
  const demands: number[] = [];
  const clients: number[] = [];
  let bytes = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split(',').map((c) => c.trim());
    if (times.length === 0 && !/^[0-9.]/.test(cols[0] ?? '')) {
      bytes = /byte/i.test(cols[1] ?? '');
      continue;
    }
    const t = Number(cols[0]);
    const d = Number(cols[1]);
    if (!Number.isFinite(t) || t < 0) throw new TsvsError('EINVAL', `${where}:${i + 1}: bad time ${cols[0]}`);
    if (!Number.isFinite(d) || d <= 0)
      throw new TsvsError('EINVAL', `${where}:${i + 1}: bad ${bytes ? 'size' : 'demand'} ${cols[1]}`);
    if (times.length > 0 && t < times[times.length - 1]!)
      throw new TsvsError('EINVAL', `${where}:${i + 1}: times must not decrease`);
    let c = -1;
    const ct = cols[2] ?? '';
    if (ct !== '') {
      const a = parseDottedQuad(ct);
      if (a === null) throw new TsvsError('EINVAL', `${where}:${i + 1}: bad client ${ct}`);
      c = a;
    }
    times.push(t);
    demands.push(bytes ? d / bytesPerMs : d);
    clients.push(c);
  }
  if (times.length === 0) throw new TsvsError('EINVAL', `${where}: no rows`);
  const n = times.length;
  const span = times[n - 1]! + (n > 1 ? (times[n - 1]! - times[0]!) / (n - 1) : 1);
  return {
    timeMs: Float64Array.from(times),
    demandMs: Float64Array.from(demands),
    client: Float64Array.from(clients),
    spanMs: span,
  };
}

export function loadTrace(path: string, bytesPerMs: number): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TsvsError('ENOENT', `trace ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseTrace(text, bytesPerMs, `trace ${path}`);
}
