// Test fixtures for the connection layer: services, dests and a tiny least-connection scheduler
// (ip_vs_lc.c semantics: skip weight 0 and OVERLOAD, lowest overhead, ties to scan order).

import { AF_INET, Dest, DEST_F_OVERLOAD, FWD_MASQ, destOverhead } from '../../src/model/dest.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { SchedInput, type Scheduler } from '../../src/model/scheduler.ts';
import { ipToU32 } from '../helpers/frames.ts';

/** "10.0.0.1" -> 0x0a000001: the short name these tests use for ipToU32 (helpers/frames.ts). */
export const ip: (text: string) => number = ipToU32;

export class TestLc implements Scheduler {
  readonly name = 'test-lc';
  loadChanges: string[] = [];
  picks = 0;
  init(): void {}
  done(): void {}
  addDest(): void {}
  delDest(): void {}
  updDest(): void {}
  loadChanged(_svc: Service, d: Dest): void {
    this.loadChanges.push(`${d.port}:${d.activeConns}/${d.inactConns}${d.flags & DEST_F_OVERLOAD ? ' OVERLOAD' : ''}`);
  }
  schedule(svc: Service): Dest | null {
    this.picks++;
    let least: Dest | null = null;
    for (const d of svc.dests) {
      if (d.weight === 0 || d.flags & DEST_F_OVERLOAD) continue;
      if (least === null || destOverhead(d) < destOverhead(least)) least = d;
    }
    return least;
  }
}

export function makeSvc(proto = IPPROTO_TCP, vip = '192.168.88.5', port = 80): Service {
  return new Service(AF_INET, proto, ip(vip), port, 0, 'test-lc', new TestLc());
}

/** Add a dest at the head of the scan order, as ip_vs_ctl.c does. */
export function addDest(svc: Service, addr: string, port = 80, fwd = FWD_MASQ, weight = 1): Dest {
  const d = new Dest(AF_INET, ip(addr), port);
  d.fwd = fwd;
  d.weight = weight;
  svc.dests.unshift(d);
  return d;
}

export function sched(svc: Service): TestLc {
  return svc.sched as TestLc;
}

export function input(
  proto: number,
  caddr: string,
  cport: number,
  vaddr: string,
  vport: number,
  nowMs = 0,
): SchedInput {
  const s = new SchedInput();
  s.protocol = proto;
  s.caddr = ip(caddr);
  s.cport = cport;
  s.vaddr = ip(vaddr);
  s.vport = vport;
  s.daddr = s.vaddr;
  s.nowMs = nowMs;
  return s;
}
