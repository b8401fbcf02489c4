// workers-data-plane: the connection table of a multi-worker engine (engine-workers.ts) as the
// control plane sees it: the shards' entries and counters from the workers' reports, merged. The
// workers report once a second, so -Lnc and the counters of -Ln --stats are at most that old;
// the timeouts live here and reach the workers inside each rule set.

import type { ConnSnapshot, TimeoutValues } from '../model/data-plane.ts';
import { DEFAULT_TIMEOUTS } from '../model/data-plane.ts';
import type { ServiceTable } from '../model/service-table.ts';
import type { ConnSource } from './engine-data-plane.ts';
import type { ServiceCounters, WorkerReport } from './worker-messages.ts';

function keyText(k: ServiceCounters['key']): string {
  return `${k.af}|${k.protocol}|${k.addr}|${k.port}|${k.fwmark}`;
}

export class WorkersConnSource implements ConnSource {
  private current: TimeoutValues = DEFAULT_TIMEOUTS;

  constructor(
    private readonly capacity: number,
    private readonly reports: () => readonly (WorkerReport | null)[],
    private readonly timeoutsChanged: () => void,
  ) {}

  connTableSize(): number {
    return this.capacity;
  }

  /** Every shard's entries as of its last report. */
  connections(): ConnSnapshot[] {
    const out: ConnSnapshot[] = [];
    for (const r of this.reports()) if (r?.conns) out.push(...r.conns);
    return out;
  }

  timeouts(): TimeoutValues {
    return this.current;
  }

  setTimeouts(t: TimeoutValues): void {
    this.current = t;
    this.timeoutsChanged();
  }
}

/**
 * Sets the counters of the main thread's services and real servers (what -Ln --stats, the rates
 * and /metrics read) to the sums of the workers' last reports. Every worker holds the same
 * services, built from the same rule sets; one a worker has not yet received counts nothing there.
 */
export function mergeServiceCounters(table: ServiceTable, reports: readonly (WorkerReport | null)[]): void {
  const byKey = reports.map((r) => new Map((r?.services ?? []).map((s) => [keyText(s.key), s])));
  for (const s of table.services()) {
    const k = keyText(s);
    let conns = 0;
    let inPkts = 0;
    let outPkts = 0;
    let inBytes = 0;
    let outBytes = 0;
    for (const m of byKey) {
      const c = m.get(k)?.c;
      if (c === undefined) continue;
      conns += c[0];
      inPkts += c[1];
      outPkts += c[2];
      inBytes += c[3];
      outBytes += c[4];
    }
    Object.assign(s, { conns, inPkts, outPkts, inBytes, outBytes });
    for (const d of s.dests) {
      const sum = {
        conns: 0,
        inPkts: 0,
        outPkts: 0,
        inBytes: 0,
        outBytes: 0,
        activeConns: 0,
        inactConns: 0,
        persistConns: 0,
      };
      for (const m of byKey) {
        const w = m.get(k)?.dests.find((x) => x.addr === d.addr && x.port === d.port);
        if (w === undefined) continue;
        sum.conns += w.c[0];
        sum.inPkts += w.c[1];
        sum.outPkts += w.c[2];
        sum.inBytes += w.c[3];
        sum.outBytes += w.c[4];
        sum.activeConns += w.activeConns;
        sum.inactConns += w.inactConns;
        sum.persistConns += w.persistConns;
      }
      Object.assign(d, sum);
    }
  }
}
