// rr: round-robin scheduling, mirroring net/netfilter/ipvs/ip_vs_rr.c.
//
// Kernel (ip_vs_rr_schedule): svc->sched_data is a cursor into the list (init: the list head).
// From the cursor, walk on; the first server that is not OVERLOAD and has weight > 0 is the pick
// and becomes the cursor. If the walk reaches the end, a second pass starts from the head and
// stops after checking the cursor's own server (`if (dest == last) goto stop`); when the cursor
// was the head there is only one pass. A failed pick leaves the cursor where it was.
// ip_vs_rr_del_dest: when the cursor's server is deleted, the cursor moves to the server before
// it (p->next->prev), so the next pick continues with the deleted server's successor.
//
// Here the list is a ScanTree (value = weight when eligible, else 0) and the cursor a slot; the
// del_dest fix-up uses the predecessor svc.dests[oldIndex - 1] (or the head). The cursor cannot
// stay on the deleted slot: when the predecessor is the head, servers added later go BEFORE the
// cursor in the kernel, but after the old slot here. Each pick is O(log n).

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';
import { HEAD, ScanTree } from './scan-tree.ts';

function rrValue(d: Dest): number {
  return (d.flags & DEST_F_OVERLOAD) === 0 && d.weight > 0 ? d.weight : 0;
}

export class RrScheduler implements Scheduler {
  readonly name = 'rr';
  readonly tree: ScanTree;

  constructor() {
    this.tree = new ScanTree({ max: true });
  }

  /** ip_vs_rr_init_svc: the cursor is the list head. */
  init(svc: Service): void {
    const t = this.tree;
    t.clear();
    for (let i = svc.dests.length - 1; i >= 0; i--) {
      const d = svc.dests[i]!;
      t.addHead(d, rrValue(d));
    }
    t.cursor = HEAD;
  }

  done(_svc: Service): void {
    this.tree.clear();
  }

  addDest(_svc: Service, dest: Dest): void {
    this.tree.addHead(dest, rrValue(dest));
  }

  /** ip_vs_rr_del_dest: a cursor on the deleted server moves to its predecessor (or the head). */
  delDest(svc: Service, dest: Dest, oldIndex: number): void {
    const t = this.tree;
    if (!t.has(dest)) return;
    if (t.cursor === dest.schedIdx) t.cursor = oldIndex > 0 ? svc.dests[oldIndex - 1]!.schedIdx : HEAD;
    t.remove(dest);
  }

  updDest(_svc: Service, dest: Dest): void {
    if (this.tree.has(dest)) this.tree.set(dest, rrValue(dest));
  }

  loadChanged(_svc: Service, dest: Dest): void {
    if (this.tree.has(dest)) this.tree.set(dest, rrValue(dest));
  }

  schedule(_svc: Service, _input: SchedInput): Dest | null {
    const t = this.tree;
    const last = t.cursor;
    let s = t.findAfter(last, 1); // pass 1: after the cursor to the end
    if (s < 0) {
      if (last === HEAD) return null; // "If we stay at head there is no need for 2nd pass"
      s = t.findAfter(HEAD, 1); // pass 2: from the head, up to and including `last`
      if (s < last) return null; // includes s === -1
    }
    t.cursor = s;
    return t.dest(s);
  }
}

export const rr: SchedulerFactory = {
  name: 'rr',
  create: () => new RrScheduler(),
};
