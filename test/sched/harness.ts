// Test harness: drives a scheduler the way the model does for ipvsadm -A/-E/-a/-e/-d, so tests
// read like ipvsadm sequences, and names real servers for readable pick sequences.

import { AF_INET, DEST_F_AVAILABLE, DEST_F_OVERLOAD, Dest } from '../../src/model/dest.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { SchedInput, type Scheduler } from '../../src/model/scheduler.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { ipToU32 } from '../helpers/frames.ts';

/** "10.0.0.1" -> 0x0a000001: the short name these tests use for ipToU32 (helpers/frames.ts). */
export const ip: (text: string) => number = ipToU32;

export function makeScheduler(name: string, flags = 0): Scheduler {
  const f = findScheduler(name);
  if (f === undefined) throw new Error(`no scheduler ${name}`);
  return f.create(flags);
}

export interface DestOpts {
  addr?: number;
  port?: number;
}

export class Lab {
  readonly svc: Service;
  readonly input: SchedInput;
  private readonly byName = new Map<string, Dest>();
  private readonly names = new Map<Dest, string>();
  private nextAddr = ip('192.168.99.1');
  /** Extra schedulers fed the same hooks (reference implementations). */
  readonly shadows: Scheduler[] = [];

  /** ipvsadm -A -t 192.168.88.5:80 -s <name> [-b flags]: init runs on an empty service. */
  constructor(schedName: string, svcFlags = 0, sched: Scheduler = makeScheduler(schedName, svcFlags)) {
    this.svc = new Service(AF_INET, IPPROTO_TCP, ip('192.168.88.5'), 80, 0, schedName, sched);
    this.svc.flags = svcFlags;
    this.input = new SchedInput();
    this.input.protocol = IPPROTO_TCP;
    this.input.vaddr = this.svc.addr;
    this.input.vport = 80;
    this.input.daddr = this.svc.addr;
    sched.init(this.svc);
  }

  get sched(): Scheduler {
    return this.svc.sched;
  }

  dest(name: string): Dest {
    const d = this.byName.get(name);
    if (d === undefined) throw new Error(`no dest ${name}`);
    return d;
  }

  nameOf(d: Dest | null): string {
    return d === null ? '-' : (this.names.get(d) ?? '?');
  }

  /** The names of svc.dests in scan order. */
  scanOrder(): string[] {
    return this.svc.dests.map((d) => this.nameOf(d));
  }

  /** ipvsadm -a -r <name> -w weight: new server at the list head, then add_dest. */
  add(name: string, weight: number, opts: DestOpts = {}): Dest {
    const d = new Dest(AF_INET, opts.addr ?? this.nextAddr++, opts.port ?? 80);
    d.weight = weight;
    d.flags = DEST_F_AVAILABLE;
    this.byName.set(name, d);
    this.names.set(d, name);
    d.renewSeq();
    this.svc.dests.unshift(d);
    this.svc.sched.addDest(this.svc, d);
    for (const s of this.shadows) s.addDest(this.svc, d);
    return d;
  }

  /**
   * Servers that should end up in this scan order: added last-to-first, since each -a puts its
   * server at the list head.
   */
  addInScanOrder(servers: [name: string, weight: number][]): void {
    for (let i = servers.length - 1; i >= 0; i--) this.add(servers[i]![0], servers[i]![1]);
  }

  /** ipvsadm -e -r <name> -w weight: edit in place, then upd_dest. */
  edit(name: string, weight: number): void {
    const d = this.dest(name);
    d.weight = weight;
    this.svc.sched.updDest(this.svc, d);
    for (const s of this.shadows) s.updDest(this.svc, d);
  }

  /** ipvsadm -d -r <name>: unlink (clearing AVAILABLE, as __ip_vs_unlink_dest), then del_dest. */
  del(name: string): void {
    const d = this.dest(name);
    const i = this.svc.dests.indexOf(d);
    if (i < 0) throw new Error(`${name} is not in the service`);
    d.flags &= ~DEST_F_AVAILABLE;
    this.svc.dests.splice(i, 1);
    this.svc.sched.delDest(this.svc, d, i);
    for (const s of this.shadows) s.delDest(this.svc, d, i);
  }

  /** Connection accounting: set counters (and OVERLOAD), then loadChanged. */
  load(name: string, active: number, inactive = 0, overload?: boolean): void {
    const d = this.dest(name);
    d.activeConns = active;
    d.inactConns = inactive;
    if (overload !== undefined) {
      if (overload) d.flags |= DEST_F_OVERLOAD;
      else d.flags &= ~DEST_F_OVERLOAD;
    }
    this.svc.sched.loadChanged(this.svc, d);
    for (const s of this.shadows) s.loadChanged(this.svc, d);
  }

  overload(name: string, on: boolean): void {
    const d = this.dest(name);
    this.load(name, d.activeConns, d.inactConns, on);
  }

  /** ipvsadm -E -s <name>: done on the old scheduler, init on the new one with servers present. */
  switchTo(schedName: string, sched: Scheduler = makeScheduler(schedName, this.svc.flags)): void {
    this.svc.sched.done(this.svc);
    this.svc.schedName = schedName;
    this.svc.sched = sched;
    sched.init(this.svc);
  }

  pick(): Dest | null {
    return this.svc.sched.schedule(this.svc, this.input);
  }

  /** n picks as names ('-' = no server). */
  picks(n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.nameOf(this.pick()));
    return out;
  }

  /** n picks where each picked server gets one more inactive connection (accounting). */
  picksWithAccounting(n: number, active = false): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = this.pick();
      out.push(this.nameOf(d));
      if (d !== null) this.load(this.nameOf(d), d.activeConns + (active ? 1 : 0), d.inactConns + (active ? 0 : 1));
    }
    return out;
  }

  /** The pick for client caddr[:cport]. */
  pickFor(caddr: number, cport = 0): Dest | null {
    this.input.caddr = caddr;
    this.input.cport = cport;
    return this.pick();
  }
}
