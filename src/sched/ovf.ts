// ovf: overflow-connection scheduling, mirroring net/netfilter/ipvs/ip_vs_ovf.c.
//
// Kernel (ip_vs_ovf_schedule): walk the list; skip a server that is OVERLOAD, has
// activeconns > weight, or weight == 0; take it when `!h || w > hw` (strict). So: the highest
// weight among servers still within their weight, ties to the first in scan order. Whether a
// server is within its weight changes with activeconns, so loadChanged re-ranks it.

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { SchedulerFactory } from '../model/scheduler.ts';
import { HeapScheduler } from './heap-scheduler.ts';

export class OvfScheduler extends HeapScheduler {
  readonly name = 'ovf';

  protected rank(d: Dest): void {
    const w = d.weight;
    if ((d.flags & DEST_F_OVERLOAD) !== 0 || d.activeConns > w || w === 0) this.heap.park(d);
    else this.heap.set(d, -w, 1);
  }
}

export const ovf: SchedulerFactory = {
  name: 'ovf',
  create: () => new OvfScheduler(),
};
