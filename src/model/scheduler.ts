// Scheduler contract (struct ip_vs_scheduler, include/net/ip_vs.h); the registry by name is src/sched/registry.ts.

import type { Dest } from './dest.ts';

/**
 * What a scheduler sees of its service: the real servers in scan order and svc->flags (the
 * -b scheduler flags). Service (service.ts) has both; the contract names only these so that
 * Service, which holds its Scheduler, and the contract do not import each other.
 */
export interface SchedService {
  readonly dests: readonly Dest[];
  readonly flags: number;
}

/**
 * What a scheduler may look at for a new connection. One instance is preallocated by the
 * data plane and refilled per new connection (no allocation per packet).
 */
export class SchedInput {
  protocol = 0;
  caddr = 0;
  cport = 0;
  vaddr = 0;
  vport = 0;
  /** Destination address of the packet (dh/lblc hash it; equals vaddr for address services). */
  daddr = 0;
  /** One clock read per batch (lblc/lblcr age their tables with it). */
  nowMs = 0;

  /** Refill for a packet to an address service (daddr = vaddr); addresses as numbers (IPv6: folds). */
  set(protocol: number, caddr: number, cport: number, vaddr: number, vport: number, nowMs: number): void {
    this.protocol = protocol;
    this.caddr = caddr;
    this.cport = cport;
    this.vaddr = vaddr;
    this.vport = vport;
    this.daddr = vaddr;
    this.nowMs = nowMs;
  }
}

/**
 * A per-service scheduler instance (the kernel keeps this in svc->sched_data).
 * Every hook runs on the control plane or on connection setup, never per established packet.
 */
export interface Scheduler {
  readonly name: string;
  /**
   * True when the pick depends only on the flow's addresses and the service's dests (their order
   * and weights), never on load, time or earlier picks: mh and sh. Directors with the same rules
   * then pick the same real server for a flow, so one may adopt a flow another one started
   * (ConnSetup.adoptConsistent). Absent means false.
   */
  readonly consistent?: boolean;
  /** init_service: the service gets this scheduler (-A, or -E switching scheduler); svc.dests is already filled. */
  init(svc: SchedService): void;
  /** done_service: the service drops this scheduler. */
  done(svc: SchedService): void;
  /** add_dest: dest was just inserted at svc.dests[0]. */
  addDest(svc: SchedService, dest: Dest): void;
  /** del_dest: dest was just removed from svc.dests, where it stood at index oldIndex. */
  delDest(svc: SchedService, dest: Dest, oldIndex: number): void;
  /** upd_dest: weight, thresholds or forwarding of dest were edited in place (-e, health checks). */
  updDest(svc: SchedService, dest: Dest): void;
  /** dest.activeConns / inactConns or DEST_F_OVERLOAD changed (connection accounting). */
  loadChanged(svc: SchedService, dest: Dest): void;
  /** schedule: pick a real server for a new connection, or null when none is available. */
  schedule(svc: SchedService, input: SchedInput): Dest | null;
}

export interface SchedulerFactory {
  /** ipvsadm name: rr, wrr, lc, wlc, ... */
  readonly name: string;
  create(svcFlags: number): Scheduler;
}
