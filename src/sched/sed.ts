// sed: shortest expected delay scheduling, mirroring net/netfilter/ipvs/ip_vs_sed.c.
//
// Kernel (ip_vs_sed_schedule): as wlc, but the overhead is ip_vs_sed_dest_overhead() =
// activeconns + 1 (inactive connections do not count): least = the first server that is not
// OVERLOAD with weight > 0, replaced by a later non-OVERLOAD server when
//   (__s64)loh * dest->weight > (__s64)doh * least->weight.
// So the pick is the minimum of (activeconns + 1) / weight, ties to the first in scan order.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

export class SedScheduler extends HeapScheduler {
  readonly name = 'sed';

  protected rank(d: Dest): void {
    if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight <= 0) this.heap.park(d);
    else this.heap.set(d, d.activeConns + 1, d.weight);
  }
}

export const sed: SchedulerFactory = {
  name: 'sed',
  create: () => new SedScheduler(),
};
