// ecmp: the scale-out scenarios of npm run bench:sched. N directors behind a router's ECMP route,
// each with its own connection table and scheduler (src/conn, src/sched: the real code), the
// same rules on all. F long-lived flows start (a SYN on the director the route picks), then a
// director fails or one is added and every flow's next packet follows the new route. A flow
// survives when it lands on the director that has its entry, or on another one that adopts it
// (ConnSetup with sloppy_tcp / adoptConsistent: the scheduler re-picks) and picks the same real
// server; in full NAT a moved flow never survives (the new director has no local address and
// port for it, and its own would be a different client to the real server). Reported: the
// fraction of flows broken. No kernel counterpart.

import { ConnManager } from '../../src/conn/conn-manager.ts';
import { TCP_ACK, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { AF_INET, FWD_ROUTE } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import type { Service } from '../../src/model/service.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { SVC_F_SCHED_MH_PORT } from '../../src/sched/mh.ts';
import { SVC_F_SCHED_SH_PORT } from '../../src/sched/sh.ts';
import { HashThresholdRoute, ResilientRoute, flowHash, type EcmpRoute } from './ecmp-route.ts';
import { Rng } from './rng.ts';

export const ECMP_SCENARIOS = ['ecmp-director-fails', 'ecmp-director-added'] as const;
const VIP = 0xc0a85805; // 192.168.88.5

export interface EcmpCase {
  routing: 'hash-threshold' | 'resilient';
  sched: string;
  /** off: only a SYN creates an entry; consistent: mh/sh adopt; on: every scheduler adopts. */
  adopt: 'off' | 'consistent' | 'on';
  mode: 'dr' | 'fullnat';
}

class SimDirector {
  readonly conns: ConnManager;
  readonly svc: Service;
  constructor(sched: string, servers: number, adopt: EcmpCase['adopt']) {
    this.conns = new ConnManager({
      capacity: 1 << 17,
      seed: 1,
      sloppyTcp: adopt === 'on',
      adoptConsistent: adopt === 'consistent',
      embryonicQuota: 0,
    });
    const table = new ServiceTable({ findScheduler });
    const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: VIP, port: 80, fwmark: 0 };
    const flags = sched === 'mh' ? SVC_F_SCHED_MH_PORT : sched === 'sh' ? SVC_F_SCHED_SH_PORT : 0;
    this.svc = table.addService({ ...key, schedName: sched, flags, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
    for (let s = 0; s < servers; s++) {
      const addr = (0xc0a86364 + s) >>> 0; // 192.168.99.100 + s
      table.addDest(key, { af: AF_INET, addr, port: 80, fwd: FWD_ROUTE, weight: 1, uThreshold: 0, lThreshold: 0 });
    }
  }

  /** The real server this director sends the packet to (creating or adopting its entry), or -1. */
  packet(inp: SchedInput, flags: number): number {
    let id = this.conns.lookupIn(IPPROTO_TCP, inp.caddr | 0, inp.cport, VIP | 0, 80);
    if (id < 0) id = this.conns.schedule(this.svc, inp, flags);
    return id < 0 ? -1 : this.conns.table.daddr[id]!;
  }
}

/**
 * Fraction of F flows broken when director `victim` of n fails ('fails'; default the middle one,
 * as the lab kills lvs2 of 3) or director n+1 joins ('added').
 */
export function ecmpBroken(
  scenario: (typeof ECMP_SCENARIOS)[number],
  c: EcmpCase,
  n: number,
  servers: number,
  flows: number,
  seed: number,
  victim = Math.floor(n / 2),
): number {
  const total = scenario === 'ecmp-director-added' ? n + 1 : n;
  const dirs = Array.from({ length: total }, () => new SimDirector(c.sched, servers, c.adopt));
  const before = Array.from({ length: n }, (_, i) => i);
  const route: EcmpRoute = c.routing === 'resilient' ? new ResilientRoute(before) : new HashThresholdRoute(before);
  const rng = new Rng(seed);
  const inp = new SchedInput();
  inp.protocol = IPPROTO_TCP;
  inp.vaddr = VIP;
  inp.daddr = VIP;
  inp.vport = 80;
  const caddr = new Uint32Array(flows);
  const cport = new Uint16Array(flows);
  const first = new Int32Array(flows);
  const server = new Float64Array(flows);
  for (let f = 0; f < flows; f++) {
    caddr[f] = (0x0a000000 + Math.floor(rng.next() * 4096)) >>> 0;
    cport[f] = 1024 + Math.floor(rng.next() * 64000);
    inp.caddr = caddr[f]!;
    inp.cport = cport[f]!;
    first[f] = route.pick(flowHash(caddr[f]!, cport[f]!, VIP, 80));
    server[f] = dirs[first[f]!]!.packet(inp, TCP_SYN);
  }
  const after = scenario === 'ecmp-director-added' ? [...before, n] : before.filter((d) => d !== victim);
  route.update(after);
  let broken = 0;
  for (let f = 0; f < flows; f++) {
    // A flow whose director is gone lands elsewhere: it survives only if adopted there.
    const d = route.pick(flowHash(caddr[f]!, cport[f]!, VIP, 80));
    if (d === first[f]) continue;
    if (c.mode === 'fullnat') {
      broken++;
      continue;
    }
    inp.caddr = caddr[f]!;
    inp.cport = cport[f]!;
    if (dirs[d]!.packet(inp, TCP_ACK) !== server[f]) broken++;
  }
  return broken / flows;
}

/** The markdown report of both scenarios over routing x scheduler x adoption, DR and full NAT. */
export function ecmpReport(n: number, servers: number, flows: number, seed: number): string {
  const lines: string[] = [];
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const runs: [(typeof ECMP_SCENARIOS)[number], number, string][] = [
    ['ecmp-director-fails', Math.floor(n / 2), `${n} directors, the middle one (lvs${Math.floor(n / 2) + 1}) fails`],
    ['ecmp-director-fails', n - 1, `${n} directors, the last one (lvs${n}) fails`],
    ['ecmp-director-added', 0, `${n} directors + 1`],
  ];
  for (const [sc, victim, what] of runs) {
    lines.push(`### ${sc}: ${what}, ${servers} real servers, ${flows} long-lived flows, seed ${seed}`);
    lines.push('');
    lines.push('| routing | mode | scheduler | no adoption | adoption (sloppy-tcp consistent) | sloppy-tcp on |');
    lines.push('|---|---|---|---|---|---|');
    for (const routing of ['hash-threshold', 'resilient'] as const) {
      const broken = (sched: string, adopt: EcmpCase['adopt'], mode: EcmpCase['mode']): string =>
        pct(ecmpBroken(sc, { routing, sched, adopt, mode }, n, servers, flows, seed, victim));
      for (const sched of ['mh', 'sh', 'rr']) {
        lines.push(
          `| ${routing} | DR | ${sched} | ${broken(sched, 'off', 'dr')} | ${broken(sched, 'consistent', 'dr')} | ${broken(sched, 'on', 'dr')} |`,
        );
      }
      const fn = broken('mh', 'consistent', 'fullnat');
      lines.push(`| ${routing} | full NAT | any | ${fn} | ${fn} | ${fn} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
