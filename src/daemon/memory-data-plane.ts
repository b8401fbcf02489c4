// MemoryDataPlane: a DataPlane without packets, used by tsvsd until the engine is attached and
// by tests, which set its connections and rates directly.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { TableChange } from '../model/service-table.ts';
import {
  DEFAULT_TIMEOUTS,
  ZERO_RATES,
  type ConnSnapshot,
  type DataPlane,
  type Rates,
  type TimeoutValues,
} from '../model/data-plane.ts';

/** IP_VS_CONN_TAB_SIZE with the default CONFIG_IP_VS_TAB_BITS=12. */
export const DEFAULT_CONN_TABLE_SIZE = 4096;

export class MemoryDataPlane implements DataPlane {
  private size: number;
  private timeoutValues: TimeoutValues = DEFAULT_TIMEOUTS;
  private readonly rateOf = new Map<Service | Dest, Rates>();
  conns: ConnSnapshot[] = [];
  /** Every change the table reported, for tests. */
  readonly changes: TableChange[] = [];

  constructor(connTableSize: number = DEFAULT_CONN_TABLE_SIZE) {
    this.size = connTableSize;
  }

  connTableSize(): number {
    return this.size;
  }

  setConnTableSize(n: number): void {
    this.size = n;
  }

  connections(): ConnSnapshot[] {
    return this.conns.slice();
  }

  timeouts(): TimeoutValues {
    return this.timeoutValues;
  }

  setTimeouts(t: TimeoutValues): void {
    this.timeoutValues = { tcpSec: t.tcpSec, tcpFinSec: t.tcpFinSec, udpSec: t.udpSec };
  }

  rates(target: Service | Dest): Rates {
    return this.rateOf.get(target) ?? ZERO_RATES;
  }

  setRates(target: Service | Dest, r: Rates): void {
    this.rateOf.set(target, r);
  }

  zeroStats(services: readonly Service[]): void {
    for (const s of services) {
      this.rateOf.delete(s);
      for (const d of s.dests) this.rateOf.delete(d);
    }
  }

  tableChanged(change: TableChange): void {
    this.changes.push(change);
  }
}
