// Shared hooks of the "best eligible server" schedulers (lc, wlc, sed, nq, fo, ovf; the least-
// connection step of lblc/lblcr): keeps a DestHeap in step with the service, so schedule() is a peek.
// The kernel files have no state here (ip_vs_lc.c etc. only fill .schedule); the heap is ours.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, Scheduler } from '../model/scheduler.ts';
import { DestHeap } from './dest-heap.ts';

export abstract class HeapScheduler implements Scheduler {
  abstract readonly name: string;
  /** Every member of the service; the eligible ones in the kernel's pick order. */
  readonly heap: DestHeap;

  constructor() {
    this.heap = new DestHeap();
  }

  init(svc: Service): void {
    this.heap.clear();
    for (const d of svc.dests) this.rank(d);
  }

  done(_svc: Service): void {
    this.heap.clear();
  }

  addDest(_svc: Service, dest: Dest): void {
    this.rank(dest);
  }

  delDest(_svc: Service, dest: Dest, _oldIndex: number): void {
    this.heap.remove(dest);
  }

  updDest(_svc: Service, dest: Dest): void {
    if (this.heap.has(dest)) this.rank(dest);
  }

  /** Counters or OVERLOAD of dest changed; a server already deleted from the service is ignored. */
  loadChanged(_svc: Service, dest: Dest): void {
    if (this.heap.has(dest)) this.rank(dest);
  }

  schedule(_svc: Service, _input: SchedInput): Dest | null {
    return this.heap.top();
  }

  /** Put dest where the kernel's scan would rank it: heap.set(dest, num, den), or heap.park(dest). */
  protected abstract rank(dest: Dest): void;
}
