// Reference schedulers for the randomized tests: literal O(n) ports of the kernel loops
// (net/netfilter/ipvs/ip_vs_*.c) walking svc.dests in scan order, with no indexes at all.
// The real schedulers must pick exactly what these pick.

import { DEST_F_AVAILABLE, DEST_F_OVERLOAD, destOverhead, type Dest } from '../../src/model/dest.ts';
import type { Service } from '../../src/model/service.ts';
import type { SchedInput, Scheduler } from '../../src/model/scheduler.ts';
import { Mulberry32 } from '../../src/lib/rng.ts';

const overloaded = (d: Dest): boolean => (d.flags & DEST_F_OVERLOAD) !== 0;

/** Base with no-op hooks and a pure pick function over the list. */
abstract class Stateless implements Scheduler {
  abstract readonly name: string;
  init(_svc: Service): void {}
  done(_svc: Service): void {}
  addDest(_svc: Service, _d: Dest): void {}
  delDest(_svc: Service, _d: Dest, _i: number): void {}
  updDest(_svc: Service, _d: Dest): void {}
  loadChanged(_svc: Service, _d: Dest): void {}
  abstract schedule(svc: Service, input: SchedInput): Dest | null;
}

/** ip_vs_lc_schedule. */
export class RefLc extends Stateless {
  readonly name = 'ref-lc';
  schedule(svc: Service): Dest | null {
    let least: Dest | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (overloaded(d) || d.weight === 0) continue;
      const doh = destOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/** ip_vs_wlc_schedule with a pluggable overhead (wlc: conn overhead; sed: activeconns + 1). */
export class RefWlc extends Stateless {
  readonly name: string;
  private readonly oh: (d: Dest) => number;
  constructor(name = 'ref-wlc', oh: (d: Dest) => number = destOverhead) {
    super();
    this.name = name;
    this.oh = oh;
  }
  schedule(svc: Service): Dest | null {
    const list = svc.dests;
    let i = 0;
    let least: Dest | null = null;
    for (; i < list.length; i++) {
      const d = list[i]!;
      if (!overloaded(d) && d.weight > 0) {
        least = d;
        break;
      }
    }
    if (least === null) return null;
    let loh = this.oh(least);
    for (i++; i < list.length; i++) {
      const d = list[i]!;
      if (overloaded(d)) continue;
      const doh = this.oh(d);
      if (BigInt(loh) * BigInt(d.weight) > BigInt(doh) * BigInt(least.weight)) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

export const sedOverhead = (d: Dest): number => d.activeConns + 1;

/** ip_vs_nq_schedule. */
export class RefNq extends Stateless {
  readonly name = 'ref-nq';
  schedule(svc: Service): Dest | null {
    let least: Dest | null = null;
    let loh = 0;
    for (const d of svc.dests) {
      if (overloaded(d) || d.weight === 0) continue;
      const doh = d.activeConns + 1;
      if (d.activeConns === 0) return d;
      if (least === null || BigInt(loh) * BigInt(d.weight) > BigInt(doh) * BigInt(least.weight)) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/** ip_vs_fo_schedule. */
export class RefFo extends Stateless {
  readonly name = 'ref-fo';
  schedule(svc: Service): Dest | null {
    let h: Dest | null = null;
    let hw = 0;
    for (const d of svc.dests) {
      if (!overloaded(d) && d.weight > hw) {
        h = d;
        hw = d.weight;
      }
    }
    return h;
  }
}

/** ip_vs_ovf_schedule. */
export class RefOvf extends Stateless {
  readonly name = 'ref-ovf';
  schedule(svc: Service): Dest | null {
    let h: Dest | null = null;
    let hw = 0;
    for (const d of svc.dests) {
      const w = d.weight;
      if (overloaded(d) || d.activeConns > w || w === 0) continue;
      if (h === null || w > hw) {
        h = d;
        hw = w;
      }
    }
    return h;
  }
}

/** ip_vs_rr.c: cursor = a dest or null (the list head); del_dest moves it to the predecessor. */
export class RefRr implements Scheduler {
  readonly name = 'ref-rr';
  cursor: Dest | null = null;
  init(): void {
    this.cursor = null;
  }
  done(): void {}
  addDest(): void {}
  delDest(svc: Service, d: Dest, oldIndex: number): void {
    if (this.cursor === d) this.cursor = oldIndex > 0 ? svc.dests[oldIndex - 1]! : null;
  }
  updDest(): void {}
  loadChanged(): void {}
  schedule(svc: Service): Dest | null {
    const list = svc.dests;
    const last = this.cursor;
    let i = last === null ? 0 : list.indexOf(last) + 1;
    for (let pass = 0; pass < 2; pass++) {
      for (; i < list.length; i++) {
        const d = list[i]!;
        if (!overloaded(d) && d.weight > 0) {
          this.cursor = d;
          return d;
        }
        if (d === last) return null;
      }
      if (last === null) break; // "If we stay at head there is no need for 2nd pass"
      i = 0;
    }
    return null;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** ip_vs_wrr.c, line for line: cl = a dest or null (the list head). */
export class RefWrr implements Scheduler {
  readonly name = 'ref-wrr';
  cl: Dest | null = null;
  cw = 0;
  mw = 0;
  di = 1;
  private recompute(svc: Service): void {
    let g = 0;
    let m = 0;
    for (const d of svc.dests) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > m) m = d.weight;
    }
    this.di = g || 1;
    this.mw = m - (this.di - 1);
  }
  init(svc: Service): void {
    this.cl = null;
    this.recompute(svc);
    this.cw = this.mw;
  }
  done(): void {}
  private changed(svc: Service): void {
    this.cl = null;
    this.recompute(svc);
    if (this.cw > this.mw || !this.cw) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }
  addDest(svc: Service): void {
    this.changed(svc);
  }
  delDest(svc: Service): void {
    this.changed(svc);
  }
  updDest(svc: Service): void {
    this.changed(svc);
  }
  loadChanged(): void {}
  schedule(svc: Service): Dest | null {
    const list = svc.dests;
    if (this.mw === 0) return null;
    const last = this.cl;
    let stop: Dest | null = null;
    let lastPass = false;
    let restarted = false;
    let i = last === null ? 0 : list.indexOf(last) + 1;
    for (let guard = 0; guard < 1e7; guard++) {
      for (; i < list.length; i++) {
        const d = list[i]!;
        if (!overloaded(d) && d.weight >= this.cw) {
          this.cl = d;
          return d;
        }
        if (d === stop) {
          this.cl = d;
          return null;
        }
      }
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === null) {
          this.cl = null;
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== null) stop = last;
      i = 0;
    }
    throw new Error('RefWrr did not stop');
  }
}

/** ip_vs_twos_schedule with the same PRNG as TwosScheduler. */
export class RefTwos extends Stateless {
  readonly name = 'ref-twos';
  readonly rng: Mulberry32;
  constructor(seed: number) {
    super();
    this.rng = new Mulberry32(seed);
  }
  schedule(svc: Service): Dest | null {
    let total = 0;
    let choice1: Dest | null = null;
    let choice2: Dest | null = null;
    for (const d of svc.dests) {
      if (!overloaded(d) && d.weight > 0) {
        total += d.weight;
        choice1 = d;
      }
    }
    if (choice1 === null) return null;
    total += 1;
    let r1 = this.rng.nextU32() % total;
    let r2 = this.rng.nextU32() % total;
    let w1 = -1;
    let w2 = -1;
    let oh1 = 0;
    let oh2 = 0;
    for (const d of svc.dests) {
      if (overloaded(d) || d.weight <= 0) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && w1 === -1) {
        choice1 = d;
        w1 = d.weight;
        oh1 = ((d.activeConns << 8) + d.inactConns) | 0;
      }
      if (r2 <= 0 && w2 === -1) {
        choice2 = d;
        w2 = d.weight;
        oh2 = ((d.activeConns << 8) + d.inactConns) | 0;
      }
      if (w1 !== -1 && w2 !== -1) break;
    }
    if (choice2 !== null && Math.imul(w2, oh1) > Math.imul(w1, oh2)) choice1 = choice2;
    return choice1;
  }
}

/** ip_vs_lblc.c without garbage collection: a Map for the table, list walks for the rest. */
export class RefLblc extends Stateless {
  readonly name = 'ref-lblc';
  readonly table = new Map<number, Dest>();
  private readonly wlc = new RefWlc();
  isOverloaded(svc: Service, d: Dest): boolean {
    if (d.activeConns > d.weight) {
      for (const m of svc.dests) if (m.activeConns * 2 < m.weight) return true;
    }
    return false;
  }
  schedule(svc: Service, input: SchedInput): Dest | null {
    const d0 = this.table.get(input.daddr);
    if (d0 !== undefined && (d0.flags & DEST_F_AVAILABLE) !== 0 && d0.weight > 0 && !this.isOverloaded(svc, d0)) {
      return d0;
    }
    const d = this.wlc.schedule(svc);
    if (d === null) return null;
    this.table.set(input.daddr, d);
    return d;
  }
}
