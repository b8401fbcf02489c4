// wrr: weighted round-robin scheduling, mirroring net/netfilter/ipvs/ip_vs_wrr.c.
//
// Kernel state (struct ip_vs_wrr_mark): cl = cursor (a server or the list head), cw = current
// weight, mw = max weight - (di - 1), di = gcd of the positive weights (1 if none).
// - init_svc: cl = head, di and mw from the current servers, cw = mw.
// - add/del/upd_dest (ip_vs_wrr_dest_changed): cl = head, di and mw recomputed, then
//   `if (cw > mw || !cw) cw = mw; else if (di > 1) cw = (cw / di) * di + 1;`
//   so servers added one by one leave a different cw than init_svc with the same servers.
// - schedule: from cl walk on for a server that is not OVERLOAD with weight >= cw. At the end of
//   the list cw -= di; when cw <= 0 it wraps to mw, and the walk gives up (cl = head) when it had
//   already done its last pass (cw <= di) or started at the head; after a wrap, the last pass
//   stops at the starting server (`stop = last`), giving up with cl = that server.
//
// The walk here jumps between qualifying servers with ScanTree.findAfter (value = weight, or 0
// while OVERLOAD), so a pick costs O(log n) per pass instead of O(n). Passes from the head that
// cannot find anything (cw above every eligible weight) are skipped arithmetically; see
// skipEmptyPasses. gcd and max weight are recomputed from svc.dests on each change, like the
// kernel (control plane only, O(n)).

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';
import { HEAD, ScanTree } from './scan-tree.ts';

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** ip_vs_wrr_gcd_weight. */
export function wrrGcdWeight(svc: Service): number {
  let g = 0;
  for (const d of svc.dests) {
    const w = d.weight;
    if (w > 0) g = g > 0 ? gcd(w, g) : w;
  }
  return g !== 0 ? g : 1;
}

/** ip_vs_wrr_max_weight. */
export function wrrMaxWeight(svc: Service): number {
  let m = 0;
  for (const d of svc.dests) if (d.weight > m) m = d.weight;
  return m;
}

function wrrValue(d: Dest): number {
  return (d.flags & DEST_F_OVERLOAD) === 0 ? d.weight : 0;
}

const NO_STOP = -2;

export class WrrScheduler implements Scheduler {
  readonly name = 'wrr';
  /** The list; tree.cursor is mark->cl. */
  readonly tree: ScanTree;
  cw: number;
  mw: number;
  di: number;

  constructor() {
    this.tree = new ScanTree({ max: true });
    this.cw = 0;
    this.mw = 0;
    this.di = 1;
  }

  /** ip_vs_wrr_init_svc. */
  init(svc: Service): void {
    const t = this.tree;
    t.clear();
    for (let i = svc.dests.length - 1; i >= 0; i--) {
      const d = svc.dests[i]!;
      t.addHead(d, wrrValue(d));
    }
    t.cursor = HEAD;
    this.di = wrrGcdWeight(svc);
    this.mw = wrrMaxWeight(svc) - (this.di - 1);
    this.cw = this.mw;
  }

  done(_svc: Service): void {
    this.tree.clear();
  }

  addDest(svc: Service, dest: Dest): void {
    this.tree.addHead(dest, wrrValue(dest));
    this.destChanged(svc);
  }

  delDest(svc: Service, dest: Dest, _oldIndex: number): void {
    this.tree.remove(dest);
    this.destChanged(svc);
  }

  updDest(svc: Service, dest: Dest): void {
    if (!this.tree.has(dest)) return;
    this.tree.set(dest, wrrValue(dest));
    this.destChanged(svc);
  }

  /** OVERLOAD may have flipped; the kernel reads it live during the walk. */
  loadChanged(_svc: Service, dest: Dest): void {
    if (this.tree.has(dest)) this.tree.set(dest, wrrValue(dest));
  }

  /** ip_vs_wrr_dest_changed. */
  private destChanged(svc: Service): void {
    this.tree.cursor = HEAD;
    this.di = wrrGcdWeight(svc);
    this.mw = wrrMaxWeight(svc) - (this.di - 1);
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  /** ip_vs_wrr_schedule. */
  schedule(_svc: Service, _input: SchedInput): Dest | null {
    const t = this.tree;
    if (this.mw === 0) return null; // err_noavail: cl unchanged
    const last = t.cursor;
    let pos = last;
    let stop = NO_STOP;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      // One walk from pos to the end of the list.
      const s = t.findAfter(pos, this.cw);
      if (stop !== NO_STOP && stop < pos && stop > s) {
        t.cursor = stop; // err_over at `dest == stop`
        return null;
      }
      if (s >= 0) {
        t.cursor = s;
        return t.dest(s);
      }
      if (pos === HEAD && this.skipEmptyPasses()) lastPass = false;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === HEAD) {
          t.cursor = HEAD; // err_over with dest = the list head
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== HEAD) stop = last;
      pos = HEAD;
    }
  }

  /**
   * A whole walk from the head found nothing, so every eligible weight is below cw (and no stop
   * is set, or the walk would have ended there). The kernel then keeps doing `cw -= di` plus a
   * fruitless walk while the next cw is still above max(eligible max, di): no wrap, lastPass
   * stays false, stop stays unset. Do those rounds at once; true when any were skipped.
   */
  private skipEmptyPasses(): boolean {
    const m = this.tree.maxAll();
    const floor = m > this.di ? m : this.di;
    const excess = this.cw - this.di - floor;
    if (excess <= 0) return false;
    this.cw -= Math.ceil(excess / this.di) * this.di;
    return true;
  }
}

export const wrr: SchedulerFactory = {
  name: 'wrr',
  create: () => new WrrScheduler(),
};
