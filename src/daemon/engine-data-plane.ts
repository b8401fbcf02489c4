// EngineDataPlane: the DataPlane the daemon's control handlers talk to, backed by the running
// engine: connection listing (-Lc), timeouts (--set / --timeout), rates (ip_vs_est.c estimators
// over the model's counters, every 2 s) and -Z. The connections and timeouts come from a
// ConnSource: the Engine on the main thread (engineConnSource), or the data-path threads' shards
// (workers-data-plane.ts).

import type { ConnSnapshot, DataPlane, Rates, TimeoutValues } from '../model/data-plane.ts';
import { AF_INET6, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { TableChange } from '../model/service-table.ts';
import { EstimatorSet, emptyRates } from '../metrics/estimator.ts';
import { RealTimers } from '../lib/timers.ts';
import type { Engine } from '../datapath/engine.ts';
import type { ConnView } from '../conn/conn-iter.ts';

/** Where the connection table lives: its size, its entries, its timeouts. */
export interface ConnSource {
  connTableSize(): number;
  connections(): ConnSnapshot[];
  timeouts(): TimeoutValues;
  setTimeouts(t: TimeoutValues): void;
}

/** A listed entry as the control plane takes it (IPv6 entries add af and their words). */
function snapshotOf(v: ConnView): ConnSnapshot {
  return {
    protocol: v.protocol,
    caddr: v.caddr,
    cport: v.cport,
    vaddr: v.vaddr,
    vport: v.vport,
    daddr: v.daddr,
    dport: v.dport,
    state: v.stateName,
    expireMs: v.remainingMs,
  };
}

/** The ConnSource of an Engine running on this thread: its IPv4 connections, then its IPv6 ones. */
export function engineConnSource(engine: Engine): ConnSource {
  return {
    connTableSize: () => engine.conns.table.capacity,
    connections: () => {
      const now = Date.now();
      const out = engine.conns.list(now, 'all').map(snapshotOf);
      const v6 = engine.v6;
      if (v6 !== null) {
        for (const v of v6.cm.conns.list(now, 'all')) out.push({ ...snapshotOf(v), af: AF_INET6, ...v6.cm.addrsOf(v) });
      }
      return out;
    },
    timeouts: () => {
      const t = engine.conns.timeouts.get();
      return { tcpSec: t.tcp, tcpFinSec: t.tcpfin, udpSec: t.udp };
    },
    setTimeouts: (t) => engine.conns.timeouts.set(t.tcpSec, t.tcpFinSec, t.udpSec),
  };
}

export class EngineDataPlane implements DataPlane {
  private readonly est = new EstimatorSet();

  constructor(
    private readonly source: ConnSource,
    services: readonly Service[],
  ) {
    for (const s of services) {
      this.est.add(s);
      for (const d of s.dests) this.est.add(d);
    }
    this.est.start(new RealTimers());
  }

  connTableSize(): number {
    return this.source.connTableSize();
  }

  connections(): ConnSnapshot[] {
    return this.source.connections();
  }

  timeouts(): TimeoutValues {
    return this.source.timeouts();
  }

  setTimeouts(t: TimeoutValues): void {
    this.source.setTimeouts(t);
  }

  rates(target: Service | Dest): Rates {
    const e = this.est.get(target) ?? this.est.add(target);
    const r = e.read(emptyRates());
    return { cps: r.cps, inpps: r.inPps, outpps: r.outPps, inbps: r.inBps, outbps: r.outBps };
  }

  zeroStats(services: readonly Service[]): void {
    for (const s of services) {
      this.est.add(s).zero(s);
      for (const d of s.dests) this.est.add(d).zero(d);
    }
  }

  tableChanged(c: TableChange): void {
    if (c.kind === 'add-service') this.est.add(c.svc);
    else if (c.kind === 'del-service') {
      this.est.remove(c.svc);
      for (const d of c.svc.dests) this.est.remove(d);
    } else if (c.kind === 'add-dest') this.est.add(c.dest);
  }

  stop(): void {
    this.est.stop();
  }
}
