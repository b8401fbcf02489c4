// What lblc and lblcr share besides their table (net/netfilter/ipvs/ip_vs_lblc.c, ip_vs_lblcr.c):
// the weighted least-connection fallback (__ip_vs_lblc[r]_schedule, the wlc loop line for line,
// kept in a DestHeap), is_overloaded(), and "is this server still in the service".
//
// is_overloaded(dest, svc): dest->activeconns > dest->weight AND some server of the service has
// activeconns * 2 < weight. The second half is a count kept in step by rank() (with a flag per
// member in heap.tag), so the check is O(1) instead of the kernel's list walk.

import { DEST_F_AVAILABLE, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { HeapScheduler } from './heap-scheduler.ts';
import { rankWlc } from './wlc.ts';

export abstract class LocalityScheduler extends HeapScheduler {
  /** Members with activeconns * 2 < weight (each flagged with heap.tag = 1). */
  underHalf: number;

  constructor() {
    super();
    this.underHalf = 0;
  }

  override init(svc: Service): void {
    this.underHalf = 0;
    super.init(svc);
  }

  override done(svc: Service): void {
    super.done(svc);
    this.underHalf = 0;
  }

  override delDest(svc: Service, dest: Dest, oldIndex: number): void {
    if (this.heap.has(dest) && this.heap.tag[dest.schedIdx] === 1) this.underHalf--;
    super.delDest(svc, dest, oldIndex);
  }

  protected rank(d: Dest): void {
    const heap = this.heap;
    rankWlc(heap, d); // inserts d first when it is new (tag 0)
    const under = d.activeConns * 2 < d.weight ? 1 : 0;
    const id = d.schedIdx;
    if (heap.tag[id] !== under) {
      heap.tag[id] = under;
      this.underHalf += under === 1 ? 1 : -1;
    }
  }

  /** is_overloaded() in ip_vs_lblc.c / ip_vs_lblcr.c. */
  isOverloaded(d: Dest): boolean {
    return d.activeConns > d.weight && this.underHalf > 0;
  }

  /**
   * dest->flags & IP_VS_DEST_F_AVAILABLE: the kernel clears it when a server leaves the service
   * (__ip_vs_unlink_dest) while table entries still point at it. Membership is checked as well,
   * so a deleted server is never picked even if the caller left the flag set.
   */
  available(d: Dest): boolean {
    return (d.flags & DEST_F_AVAILABLE) !== 0 && this.heap.has(d);
  }
}
