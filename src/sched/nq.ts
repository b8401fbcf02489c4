// nq: never-queue scheduling, mirroring net/netfilter/ipvs/ip_vs_nq.c.
//
// Kernel (ip_vs_nq_schedule): walk the list, skipping OVERLOAD and weight 0. The first server
// with activeconns == 0 is returned at once ("return the server directly if it is idle").
// Otherwise keep the sed minimum: replace least when !least or
//   (__s64)loh * dest->weight > (__s64)doh * least->weight,  overhead = activeconns + 1.
// So: the first idle server in scan order if there is one, else the sed pick. One DestHeap holds
// both: idle servers get load 0 (below every busy load (a + 1) / w > 0) and tie on seq, so the
// most recently added idle server is on top.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

export class NqScheduler extends HeapScheduler {
  readonly name = 'nq';

  protected rank(d: Dest): void {
    if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight === 0) this.heap.park(d);
    else if (d.activeConns === 0) this.heap.set(d, 0, 1);
    else this.heap.set(d, d.activeConns + 1, d.weight);
  }
}

export const nq: SchedulerFactory = {
  name: 'nq',
  create: () => new NqScheduler(),
};
