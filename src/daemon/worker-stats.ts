// worker-stats: engine.stats of a multi-worker engine (engine-workers.ts): the counters of the
// workers' last reports summed under the names the single engine uses (engineStats in
// engine-runner.ts), the rest (interfaces, neighbours, defence, ...) as worker 0 reports it, and a
// per-worker summary under `workers`.

import type { WorkerReport } from './worker-messages.ts';
import { handedNeighbours, type HandedNeighbour, type NeighbourRow } from './handover.ts';
import { ipToString } from '../lib/inet.ts';

/** engineStats fields that are counters: summed over the workers. */
const SUMMED = [
  'rxFrames',
  'txFrames',
  'forwardedIn',
  'forwardedOut',
  'local',
  'passed',
  'gsoFrames',
  'fragsRecorded',
  'fragsMatched',
  'connections',
  'connections6',
  'connCapacity',
  'adopted',
] as const;

function num(o: Readonly<Record<string, unknown>>, k: string): number {
  const v = o[k];
  return typeof v === 'number' ? v : 0;
}

/** A counter of the report's per-interface I/O stats (engineStats `io`), summed over its ports. */
function ioSum(o: Readonly<Record<string, unknown>>, k: string): number {
  const io = o['io'];
  return Array.isArray(io) ? io.reduce((n: number, p: Readonly<Record<string, unknown>>) => n + num(p, k), 0) : 0;
}

export function mergeWorkerStats(reports: readonly (WorkerReport | null)[]): Record<string, unknown> {
  const got = reports.filter((r): r is WorkerReport => r !== null);
  const out: Record<string, unknown> = { ...(got[0]?.engine ?? {}) };
  for (const k of SUMMED) out[k] = got.reduce((n, r) => n + num(r.engine, k), 0);
  const drops: Record<string, number> = {};
  for (const r of got) {
    const d = r.engine['drops'];
    if (typeof d !== 'object' || d === null) continue;
    for (const [name, n] of Object.entries(d)) if (typeof n === 'number') drops[name] = (drops[name] ?? 0) + n;
  }
  out['drops'] = drops;
  out['workers'] = got.map((r) => ({
    index: r.index,
    tid: r.tid,
    rulesVersion: r.rulesVersion,
    rxFrames: num(r.engine, 'rxFrames'),
    forwardedIn: num(r.engine, 'forwardedIn'),
    forwardedOut: num(r.engine, 'forwardedOut'),
    connections: num(r.engine, 'connections'),
    rxJumbo: ioSum(r.engine, 'rxJumbo'),
    stateFile: r.engine['stateFile'] ?? null,
  }));
  out['stateFile'] = mergeStateFile(got);
  return out;
}

/**
 * The shards' state (state-reshard.ts) as the single engine shows its file: the restore counters
 * of each table (restored: IPv4, restored6: IPv6) summed over the workers (null when none
 * restored), each shard's paths and why it started empty.
 */
function mergeStateFile(got: readonly WorkerReport[]): Record<string, unknown> {
  const sums: Record<'restored' | 'restored6', Record<string, number> | null> = { restored: null, restored6: null };
  const shards = got.map((r) => {
    const s = (r.engine['stateFile'] ?? {}) as Record<string, unknown>;
    for (const key of ['restored', 'restored6'] as const) {
      const res = s[key];
      if (typeof res !== 'object' || res === null) continue;
      const sum = (sums[key] ??= {});
      for (const [k, v] of Object.entries(res)) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
    }
    return { path: s['path'] ?? null, fresh: s['fresh'] ?? '', path6: s['path6'] ?? null, fresh6: s['fresh6'] ?? '' };
  });
  return { shards, ...sums };
}

/** A report's resolved neighbours (engineStats `neighbours`, `neighbours6`) as a handover names them: by interface. */
export function reportedNeighbours(
  r: WorkerReport | null,
  ports: readonly { readonly name: string }[],
): HandedNeighbour[] {
  const v4 = ((r?.engine['neighbours'] ?? []) as (Omit<NeighbourRow, 'ip'> & { ip: number })[]).map((n) => ({
    ...n,
    ip: ipToString(n.ip),
  }));
  const v6 = (r?.engine['neighbours6'] ?? []) as NeighbourRow[];
  return handedNeighbours(
    [...v4, ...v6],
    ports.map((p) => p.name),
  );
}
