// The director under simulation: the REAL ServiceTable (src/model/service-table.ts, the
// ipvsadm -A/-a/-e/-d operations of ip_vs_ctl.c, which run the scheduler hooks) and the REAL
// ConnManager (src/conn/conn-manager.ts: ip_vs_in / ip_vs_out's connection setup, TCP state
// machine of ip_vs_proto_tcp.c, active/inactive accounting of ip_vs_conn.c, timers). Nothing
// here re-implements IPVS; it only plays the packets a TCP exchange would put through it:
//
//   client SYN      -> ip_vs_in: lookup, reuse checks, schedule (the scheduler picks), SYN_RECV
//   server SYN-ACK  -> ip_vs_out (a dead server sends none: the entry stays SYN_RECV, active)
//   client ACK      -> ESTABLISHED (active)
//   server FIN      -> FIN_WAIT (inactive)      when the response is complete
//   client FIN      -> TIME_WAIT (inactive, 2 min)
//   server ACK
//
// Client packets go through checkExisting, as ip_vs_in does, so a connection whose real server
// was removed (-d) has its client packets dropped (expire_nodest_conn = 0, the default).

import { AF_INET, FWD_MASQ, type Dest } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, type Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import type { DestSpec, ServiceKey, ServiceSpec } from '../../src/model/rule-spec.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { REUSE_DROP, REUSE_RESCHEDULE } from '../../src/conn/conn-reuse.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { DROP_DEST_QUIESCED } from '../../src/lib/drops.ts';
import { schedFlagsFor, type Scenario, type ServerSpec } from './scenario.ts';
import { findScheduler } from '../../src/sched/registry.ts';

/** Live entries needed: arrivals over TIME_WAIT (120 s) plus a minute, plus templates. */
export function connCapacityFor(sc: Scenario, peakRatePerSec: number): number {
  if (sc.connCapacity > 0) return sc.connCapacity;
  const want = peakRatePerSec * 180 * 1.25 + (sc.service.persistentSec > 0 ? sc.clients.count : 0);
  return Math.min(1 << 22, Math.max(4096, 2 ** Math.ceil(Math.log2(want))));
}

/** Firewall mark of the cache-cluster service used when the scenario has destinations. */
export const SIM_FWMARK = 1;

export class Director {
  readonly table: ServiceTable;
  readonly conns: ConnManager;
  readonly svc: Service;
  readonly key: ServiceKey;
  readonly inp: SchedInput;
  /** Server index -> its Dest while it is in the service, else null. */
  readonly destOf: (Dest | null)[];
  /** Clock of the ServiceTable's dest trash. */
  nowMs = 0;
  private readonly specs: readonly ServerSpec[];
  private readonly serverOf = new Map<Dest, number>();
  private readonly port: number;

  constructor(schedName: string, sc: Scenario, connCapacity: number, hashSeed: number) {
    this.specs = sc.servers;
    this.port = sc.service.port;
    this.table = new ServiceTable({ findScheduler, nowMs: () => this.nowMs });
    this.conns = new ConnManager({ capacity: connCapacity, seed: hashSeed });
    const fwmark = sc.destinations !== null ? SIM_FWMARK : 0;
    const persistent = sc.service.persistentSec > 0;
    const spec: ServiceSpec = {
      af: AF_INET,
      protocol: IPPROTO_TCP,
      addr: fwmark !== 0 ? 0 : sc.service.vip,
      port: fwmark !== 0 ? 0 : sc.service.port,
      fwmark,
      schedName,
      flags: (persistent ? SVC_F_PERSISTENT : 0) | schedFlagsFor(sc, schedName),
      timeoutSec: sc.service.persistentSec,
      netmask: sc.service.netmask,
      peName: '',
    };
    this.key = spec;
    this.svc = this.table.addService(spec);
    this.destOf = sc.servers.map(() => null);
    this.inp = new SchedInput();
    this.inp.protocol = IPPROTO_TCP;
    this.inp.vport = sc.service.port;
  }

  private destSpec(s: number, weight: number): DestSpec {
    const sp = this.specs[s]!;
    return {
      af: AF_INET,
      addr: sp.addr,
      port: this.port,
      fwd: FWD_MASQ,
      weight,
      uThreshold: sp.uThreshold,
      lThreshold: sp.lThreshold,
    };
  }

  /** ipvsadm -a -r <server> -m -w weight. */
  add(s: number, weight: number): void {
    const d = this.table.addDest(this.key, this.destSpec(s, weight));
    this.destOf[s] = d;
    this.serverOf.set(d, s);
  }

  /** ipvsadm -e -r <server> -w weight (0 quiesces it). */
  setWeight(s: number, weight: number): void {
    this.table.editDest(this.key, this.destSpec(s, weight));
  }

  /** ipvsadm -d -r <server>. */
  remove(s: number): void {
    this.table.deleteDest(this.key, this.specs[s]!.addr, this.port);
    this.destOf[s] = null;
  }

  weightOf(s: number): number {
    const d = this.destOf[s];
    return d === null || d === undefined ? 0 : d.weight;
  }

  /** Server index a connection is bound to, -1 if none. */
  serverOfConn(id: number): number {
    const d = this.conns.table.dest[id];
    return d === null || d === undefined ? -1 : (this.serverOf.get(d) ?? -1);
  }

  /** Server index of a Dest the scheduler returned. */
  serverOfDest(d: Dest): number {
    return this.serverOf.get(d) ?? -1;
  }

  /**
   * The client's SYN (ip_vs_in): an existing entry for the tuple is kept, rescheduled (port
   * reuse after TIME_WAIT) or dropped; otherwise a new connection is scheduled. Returns the
   * connection id, or minus a DROP_* reason.
   */
  open(caddr: number, cport: number, vaddr: number, nowMs: number): number {
    const m = this.conns;
    let id = m.lookupIn(IPPROTO_TCP, caddr, cport, vaddr, this.port);
    if (id >= 0) {
      const v = m.checkExisting(id, TCP_SYN, nowMs);
      if (v === REUSE_DROP) return -DROP_DEST_QUIESCED;
      if (v === REUSE_RESCHEDULE) id = -1;
    }
    if (id < 0) {
      const inp = this.inp;
      inp.caddr = caddr;
      inp.cport = cport;
      inp.vaddr = vaddr;
      inp.daddr = vaddr;
      inp.nowMs = nowMs;
      id = m.schedule(this.svc, inp, TCP_SYN);
      if (id < 0) return id;
    }
    m.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
    return id;
  }

  /** Is `id` still the connection of this client tuple (ids are reused once an entry expires)? */
  isConn(id: number, caddr: number, cport: number): boolean {
    const t = this.conns.table;
    return t.isLive(id) && t.caddr[id] === caddr && t.cport[id] === cport;
  }

  /** A client packet of an existing connection; false when ip_vs_in drops it. */
  private client(id: number, flags: number, nowMs: number): boolean {
    if (this.conns.checkExisting(id, flags, nowMs) === REUSE_DROP) return false;
    this.conns.onPacket(id, DIR_INPUT, flags, nowMs);
    return true;
  }

  private server(id: number, flags: number, nowMs: number): void {
    this.conns.onPacket(id, DIR_OUTPUT, flags, nowMs);
  }

  /** SYN-ACK from the real server, then the client's ACK: ESTABLISHED. */
  handshake(id: number, nowMs: number): void {
    this.server(id, TCP_SYN | TCP_ACK, nowMs);
    this.client(id, TCP_ACK, nowMs);
  }

  /** Response complete: the server closes, the client closes, the server ACKs: TIME_WAIT. */
  close(id: number, nowMs: number): void {
    this.server(id, TCP_FIN | TCP_ACK, nowMs);
    if (this.client(id, TCP_FIN | TCP_ACK, nowMs)) this.server(id, TCP_ACK, nowMs);
  }

  /** A client gives up on a server that stopped answering: its FIN (CLOSE_WAIT, inactive). */
  clientCloses(id: number, nowMs: number): void {
    this.client(id, TCP_FIN | TCP_ACK, nowMs);
  }

  /** Connection timers (the engine calls this about every tick). */
  expire(nowMs: number): void {
    this.nowMs = nowMs;
    while (this.conns.expire(nowMs) >= 1 << 16);
  }
}
