// dh: destination hashing scheduling, mirroring net/netfilter/ipvs/ip_vs_dh.c.
//
// A 256-bucket table (IP_VS_DH_TAB_BITS 8) is refilled on init, add and del (ip_vs_dh_reassign;
// the kernel has no upd_dest hook for dh): bucket i gets the i-th server of the list, cycling
// from the head; weights play no part. Lookup by the packet's destination address
// (ip_vs_dh_hashkey): (ntohl(daddr) * 2654435761) & 255. No pick when that server is not
// AVAILABLE, has weight <= 0 or is OVERLOAD. No flags, no fallback.

import { DEST_F_AVAILABLE, DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';

export const DH_TAB_BITS = 8;
export const DH_TAB_SIZE = 1 << DH_TAB_BITS;
const DH_TAB_MASK = DH_TAB_SIZE - 1;

/** ip_vs_dh_hashkey for IPv4 (host order). */
export function dhHashkey(addr: number): number {
  return Math.imul(addr | 0, 2654435761 | 0) & DH_TAB_MASK;
}

export class DhScheduler implements Scheduler {
  readonly name = 'dh';
  readonly buckets: (Dest | null)[];

  constructor() {
    this.buckets = new Array<Dest | null>(DH_TAB_SIZE).fill(null);
  }

  init(svc: Service): void {
    this.reassign(svc);
  }

  done(_svc: Service): void {
    this.buckets.fill(null);
  }

  addDest(svc: Service, _dest: Dest): void {
    this.reassign(svc);
  }

  delDest(svc: Service, _dest: Dest, _oldIndex: number): void {
    this.reassign(svc);
  }

  /** No upd_dest in ip_vs_dh_scheduler: the table does not depend on weights. */
  updDest(_svc: Service, _dest: Dest): void {}

  loadChanged(_svc: Service, _dest: Dest): void {}

  /** ip_vs_dh_reassign. */
  reassign(svc: Service): void {
    const list = svc.dests;
    const n = list.length;
    if (n === 0) {
      this.buckets.fill(null);
      return;
    }
    for (let i = 0; i < DH_TAB_SIZE; i++) this.buckets[i] = list[i % n]!;
  }

  schedule(_svc: Service, input: SchedInput): Dest | null {
    const d = this.buckets[dhHashkey(input.daddr)] ?? null;
    if (d === null || (d.flags & DEST_F_AVAILABLE) === 0 || d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0) {
      return null;
    }
    return d;
  }
}

export const dh: SchedulerFactory = {
  name: 'dh',
  create: () => new DhScheduler(),
};
