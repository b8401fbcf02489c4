// lblcr: locality-based least-connection with replication, mirroring
// net/netfilter/ipvs/ip_vs_lblcr.c.
//
//   if serverSet[dest_ip] is null then
//       n, serverSet[dest_ip] <- {weighted least-conn node};
//   else
//       n <- {least-conn (alive) node in serverSet[dest_ip]};
//       if (n is null) OR (n.conns>n.weight AND there is a node m with m.conns<m.weight/2) then
//           n <- {weighted least-conn node}; add n to serverSet[dest_ip];
//       if |serverSet[dest_ip]| > 1 AND now - serverSet[dest_ip].lastMod > T then
//           m <- {most conn node in serverSet[dest_ip]}; remove m from serverSet[dest_ip];
//   return n;
//
// A set is a list with new members at its head (list_add_rcu); here an array whose END is the
// head, walked backwards. ip_vs_dest_set_min skips OVERLOAD and requires AVAILABLE (weight > 0 for
// the first pick); ip_vs_dest_set_max looks only at weight > 0. T is the lblcr_expiration sysctl
// (table.expirationMs, 24 h). The pruning runs after set_min, so the server it returns may be
// the one just removed; it is still used, as in the kernel.

import { DEST_F_OVERLOAD, destOverhead, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, SchedulerFactory } from '../model/scheduler.ts';
import { LocalityScheduler } from './locality-base.ts';
import { LocalityTable } from './locality-table.ts';

/** struct ip_vs_lblcr_entry with its struct ip_vs_dest_set. */
export class LblcrEntry {
  addr: number;
  lastuseMs: number;
  /** set.list; the last element is the list head. */
  set: Dest[];
  /** set.lastmod. */
  lastmodMs: number;

  constructor() {
    this.addr = 0;
    this.lastuseMs = 0;
    this.set = [];
    this.lastmodMs = 0;
  }
}

export class LblcrScheduler extends LocalityScheduler {
  readonly name = 'lblcr';
  readonly table: LocalityTable<LblcrEntry>;
  private readonly pool: LblcrEntry[];

  constructor() {
    super();
    this.pool = [];
    this.table = new LocalityTable<LblcrEntry>((e) => {
      e.set.length = 0; // ip_vs_dest_set_eraseall
      this.pool.push(e);
    });
  }

  override done(svc: Service): void {
    this.table.flush(); // ip_vs_lblcr_flush
    super.done(svc);
  }

  override schedule(_svc: Service, input: SchedInput): Dest | null {
    const now = input.nowMs;
    this.table.tick(now);
    const en = this.table.get(input.daddr);
    if (en !== null) {
      en.lastuseMs = now;
      const picked = this.setMin(en.set);
      // "More than one destination + enough time passed by, cleanup"
      if (en.set.length > 1 && now > en.lastmodMs + this.table.expirationMs) {
        const m = this.setMax(en.set);
        if (m !== null) this.setErase(en, m, now);
      }
      if (picked !== null && !this.isOverloaded(picked)) return picked;
      const d = this.heap.top(); // __ip_vs_lblcr_schedule
      if (d === null) return null;
      this.setInsert(en, d, now, true);
      return d;
    }
    const d = this.heap.top();
    if (d === null) return null;
    // ip_vs_lblcr_new
    const e = this.pool.pop() ?? new LblcrEntry();
    e.addr = input.daddr;
    e.lastuseMs = now;
    e.set.length = 0;
    this.setInsert(e, d, now, false);
    this.table.add(e);
    return d;
  }

  /** ip_vs_dest_set_insert. */
  private setInsert(en: LblcrEntry, d: Dest, now: number, check: boolean): void {
    if (check && en.set.includes(d)) return;
    en.set.push(d);
    en.lastmodMs = now;
  }

  /** ip_vs_dest_set_erase. */
  private setErase(en: LblcrEntry, d: Dest, now: number): void {
    const i = en.set.lastIndexOf(d);
    if (i < 0) return;
    en.set.splice(i, 1);
    en.lastmodMs = now;
  }

  /** ip_vs_dest_set_min: weighted least-connection member, walking from the head. */
  setMin(set: Dest[]): Dest | null {
    let i = set.length - 1;
    let least: Dest | null = null;
    for (; i >= 0; i--) {
      const d = set[i]!;
      if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
      if (d.weight > 0 && this.available(d)) {
        least = d;
        break;
      }
    }
    if (least === null) return null;
    let loh = destOverhead(least);
    for (i--; i >= 0; i--) {
      const d = set[i]!;
      if ((d.flags & DEST_F_OVERLOAD) !== 0) continue;
      const doh = destOverhead(d);
      if (loh * d.weight > doh * least.weight && this.available(d)) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  /** ip_vs_dest_set_max: weighted most-connection member, walking from the head. */
  setMax(set: Dest[]): Dest | null {
    let i = set.length - 1;
    let most: Dest | null = null;
    for (; i >= 0; i--) {
      if (set[i]!.weight > 0) {
        most = set[i]!;
        break;
      }
    }
    if (most === null) return null;
    let moh = destOverhead(most);
    for (i--; i >= 0; i--) {
      const d = set[i]!;
      const doh = destOverhead(d);
      // moh/mw < doh/dw ==> moh*dw < doh*mw, where mw,dw>0
      if (moh * d.weight < doh * most.weight && d.weight > 0) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }
}

export const lblcr: SchedulerFactory = {
  name: 'lblcr',
  create: () => new LblcrScheduler(),
};
