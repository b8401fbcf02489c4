// sh: source hashing scheduling, mirroring net/netfilter/ipvs/ip_vs_sh.c.
//
// A 256-bucket table (IP_VS_SH_TAB_BITS 8) is refilled from the list on init and on every
// add/del/upd (ip_vs_sh_reassign): walking the list in scan order, each server takes `weight`
// consecutive buckets (a weight-0 server still takes one: `++d_count >= weight`), wrapping to
// the list head until all 256 are filled. Lookup (ip_vs_sh_hashkey):
//   (offset + (ntohs(port) + ntohl(caddr)) * 2654435761) & 255
// with port = the client port when -b sh-port (IP_VS_SVC_F_SCHED_SH_PORT) and the protocol is
// TCP/UDP/SCTP, else 0. A server with weight <= 0 or OVERLOAD is unavailable (is_unavailable):
// no pick, unless -b sh-fallback (IP_VS_SVC_F_SCHED_SH_FALLBACK), which probes
// roffset = (offset + ihash) % 256 for offset = 0..255 (ip_vs_sh_get_fallback). sched flags are
// read from svc.flags at schedule time, like the kernel. IPv4 only (the IPv6 address fold is
// not needed yet).

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, type Service } from '../model/service.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';

export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;
const SH_TAB_MASK = SH_TAB_SIZE - 1;

/** -b sh-fallback / sh-port (include/uapi/linux/ip_vs.h). */
export const SVC_F_SCHED_SH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_SH_PORT = SVC_F_SCHED2;

/** ip_vs_sh_hashkey for IPv4 (port and addr in host order). */
export function shHashkey(addr: number, port: number, offset: number): number {
  return (offset + Math.imul((port + addr) | 0, 2654435761 | 0)) & SH_TAB_MASK;
}

/** ip_vs_sh_get_port / ip_vs_mh_get_port: the client port for TCP, UDP and SCTP, else 0. */
export function schedPort(input: SchedInput): number {
  const p = input.protocol;
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP ? input.cport : 0;
}

function isUnavailable(d: Dest): boolean {
  return d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0;
}

export class ShScheduler implements Scheduler {
  readonly name = 'sh';
  /** The bucket table depends only on the dests, the pick only on the flow's hash. */
  readonly consistent = true;
  readonly buckets: (Dest | null)[];

  constructor() {
    this.buckets = new Array<Dest | null>(SH_TAB_SIZE).fill(null);
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

  updDest(svc: Service, _dest: Dest): void {
    this.reassign(svc);
  }

  loadChanged(_svc: Service, _dest: Dest): void {}

  /** ip_vs_sh_reassign. */
  reassign(svc: Service): void {
    const list = svc.dests;
    const n = list.length;
    if (n === 0) {
      this.buckets.fill(null);
      return;
    }
    let p = 0;
    let count = 0;
    for (let i = 0; i < SH_TAB_SIZE; i++) {
      if (p === n) p = 0; // past the end: back to the first server
      const d = list[p]!;
      this.buckets[i] = d;
      // "Don't move to next dest until filling weight"
      if (++count >= d.weight) {
        p++;
        count = 0;
      }
    }
  }

  schedule(svc: Service, input: SchedInput): Dest | null {
    const port = (svc.flags & SVC_F_SCHED_SH_PORT) !== 0 ? schedPort(input) : 0;
    const addr = input.caddr;
    const ihash = shHashkey(addr, port, 0);
    let d = this.buckets[ihash] ?? null;
    if (d === null) return null;
    if (!isUnavailable(d)) return d;
    if ((svc.flags & SVC_F_SCHED_SH_FALLBACK) === 0) return null;
    // ip_vs_sh_get_fallback: loop around the table starting from ihash.
    for (let offset = 0; offset < SH_TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % SH_TAB_SIZE;
      d = this.buckets[shHashkey(addr, port, roffset)] ?? null;
      if (d === null) break;
      if (!isUnavailable(d)) return d;
    }
    return null;
  }
}

export const sh: SchedulerFactory = {
  name: 'sh',
  create: () => new ShScheduler(),
};
