// lc: least-connection scheduling, mirroring net/netfilter/ipvs/ip_vs_lc.c.
//
// Kernel (ip_vs_lc_schedule): walk the list; skip OVERLOAD and weight == 0; keep the server with
// the least overhead = ip_vs_dest_conn_overhead() = (activeconns << 8) + inactconns, replacing
// only on `doh < loh`, so among equal overheads the first in scan order (the most recently
// added) wins. Here the same order lives in a DestHeap keyed (overhead, then seq descending).

import { DEST_F_OVERLOAD, destOverhead, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

export class LcScheduler extends HeapScheduler {
  readonly name = 'lc';

  protected rank(d: Dest): void {
    if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.weight === 0) this.heap.park(d);
    else this.heap.set(d, destOverhead(d), 1);
  }
}

export const lc: SchedulerFactory = {
  name: 'lc',
  create: () => new LcScheduler(),
};
