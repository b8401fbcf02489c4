// fo: weighted fail-over scheduling, mirroring net/netfilter/ipvs/ip_vs_fo.c.
//
// Kernel (ip_vs_fo_schedule): hw = 0; walk the list and take a server that is not OVERLOAD when
// its weight > hw (strict). So: the highest weight among non-OVERLOAD servers with weight > 0,
// ties to the first in scan order. DestHeap key: -weight, then seq descending.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

export class FoScheduler extends HeapScheduler {
  readonly name = 'fo';

  protected rank(d: Dest): void {
    if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight <= 0) this.heap.park(d);
    else this.heap.set(d, -d.weight, 1);
  }
}

export const fo: SchedulerFactory = {
  name: 'fo',
  create: () => new FoScheduler(),
};
