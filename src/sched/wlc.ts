// wlc: weighted least-connection scheduling, mirroring net/netfilter/ipvs/ip_vs_wlc.c.
//
// Kernel (ip_vs_wlc_schedule): least = the first server in scan order that is not OVERLOAD and
// has weight > 0; then for every later server that is not OVERLOAD, replace least when
//   (__s64)loh * dest->weight > (__s64)doh * least->weight
// with overhead = (activeconns << 8) + inactconns. "The comparison of h1*w2 > h2*w1 is equivalent
// to that of h1/w1 > h2/w2 if every weight is larger than zero." A weight-0 server is compared
// too but can never win (loh * 0 > doh * w is false). The replacement is strict, so the pick is
// the minimum of overhead/weight, ties to the first in scan order: a DestHeap keyed
// (overhead/weight exactly, then seq descending) holds that order.

import { DEST_F_OVERLOAD, destOverhead, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

/** Rank d for the wlc scan (shared with the least-connection step of lblc and lblcr). */
export function rankWlc(heap: HeapScheduler['heap'], d: Dest): void {
  if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight <= 0) heap.park(d);
  else heap.set(d, destOverhead(d), d.weight);
}

export class WlcScheduler extends HeapScheduler {
  readonly name = 'wlc';

  protected rank(d: Dest): void {
    rankWlc(this.heap, d);
  }
}

export const wlc: SchedulerFactory = {
  name: 'wlc',
  create: () => new WlcScheduler(),
};
