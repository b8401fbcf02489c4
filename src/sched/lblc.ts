// lblc: locality-based least-connection scheduling, mirroring net/netfilter/ipvs/ip_vs_lblc.c.
//
//   if cachenode[dest_ip] is null then
//       n, cachenode[dest_ip] <- {weighted least-conn node};
//   else
//       n <- cachenode[dest_ip];
//       if (n is dead) OR (n.conns>n.weight AND there is a node m with m.conns<m.weight/2) then
//           n, cachenode[dest_ip] <- {weighted least-conn node};
//   return n;
//
// ip_vs_lblc_schedule: look up the packet's destination address; a hit refreshes lastuse and
// is used when its server is AVAILABLE, has weight > 0 and !is_overloaded(). Otherwise the wlc
// pick is taken and recorded with ip_vs_lblc_new, which replaces an entry for another server.
// Kernel quirk kept: ip_vs_lblc_new unlinks the old entry (ip_vs_lblc_del) without decrementing
// tbl->entries but counts the new one, so `entries` drifts up on each replacement and partial
// garbage collection starts earlier. Table and GC: LocalityTable; clock: SchedInput.nowMs.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, SchedulerFactory } from '../model/scheduler.ts';
import { LocalityScheduler } from './locality-base.ts';
import { LocalityTable } from './locality-table.ts';

/** struct ip_vs_lblc_entry. */
export class LblcEntry {
  addr: number;
  lastuseMs: number;
  dest: Dest | null;

  constructor() {
    this.addr = 0;
    this.lastuseMs = 0;
    this.dest = null;
  }
}

export class LblcScheduler extends LocalityScheduler {
  readonly name = 'lblc';
  readonly table: LocalityTable<LblcEntry>;
  private readonly pool: LblcEntry[];

  constructor() {
    super();
    this.pool = [];
    this.table = new LocalityTable<LblcEntry>((e) => {
      e.dest = null;
      this.pool.push(e);
    });
  }

  override done(svc: Service): void {
    this.table.flush(); // ip_vs_lblc_flush
    super.done(svc);
  }

  override schedule(_svc: Service, input: SchedInput): Dest | null {
    const now = input.nowMs;
    this.table.tick(now);
    const en = this.table.get(input.daddr);
    if (en !== null) {
      en.lastuseMs = now;
      const d = en.dest!;
      if (this.available(d) && d.weight > 0 && !this.isOverloaded(d)) return d;
    }
    const d = this.heap.top(); // __ip_vs_lblc_schedule
    if (d === null) return null;
    this.newEntry(en, input.daddr, d, now);
    return d;
  }

  /** ip_vs_lblc_new; en is the current entry for daddr, if any. */
  private newEntry(en: LblcEntry | null, daddr: number, d: Dest, now: number): void {
    if (en !== null) {
      if (en.dest === d) return;
      this.table.unlink(en); // ip_vs_lblc_del: tbl->entries is not decremented
    }
    const e = this.pool.pop() ?? new LblcEntry();
    e.addr = daddr;
    e.lastuseMs = now;
    e.dest = d;
    this.table.add(e);
  }
}

export const lblc: SchedulerFactory = {
  name: 'lblc',
  create: () => new LblcScheduler(),
};
