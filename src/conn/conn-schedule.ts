// ConnSetup: connection setup for a packet that matched no connection: tcp/udp_conn_schedule
// (ip_vs_proto_tcp.c / ip_vs_proto_udp.c) and ip_vs_schedule (ip_vs_core.c); persistent services
// go through schedPersist (sched-persist.ts), new entries through connNew (conn-new.ts). Runs per
// new connection, never per established packet; allocates nothing.

import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, type Service } from '../model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { DROP_DEFENSE_PACKET, DROP_NO_DEST, DROP_NO_SERVICE, DROP_NOT_FOR_US, DROP_NOT_SYN } from '../lib/drops.ts';
import { TCP_RST, TCP_SYN } from './proto-tcp.ts';
import { CONN_F_ONE_PACKET } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import type { ConnExpiry } from './expiry.ts';
import type { ConnDefense } from './defense.ts';
import type { LocalAddrPool } from './port-pool.ts';
import { connNew } from './conn-new.ts';
import { schedPersist } from './sched-persist.ts';

const FTPDATA = 20;

export interface ConnSetupOptions {
  /** sysctl sloppy_tcp: any non-RST TCP packet may create a connection. Default false. */
  sloppyTcp?: boolean;
  /**
   * sloppy_tcp for consistent schedulers only (Scheduler.consistent: mh, sh): a non-SYN, non-RST
   * TCP packet without an entry is adopted when its service's scheduler would pick the same real
   * server on any director with the same rules (Katran's LRU-miss path); for other schedulers it
   * stays a DROP_NOT_SYN. Default false.
   */
  adoptConsistent?: boolean;
  /** sysctl expire_quiescent_template: a weight-0 dest invalidates its templates. Default false. */
  expireQuiescentTemplate?: boolean;
}

export class ConnSetup {
  private readonly t: ConnTable;
  private readonly expiry: ConnExpiry;
  private readonly fnat: LocalAddrPool | null;
  private readonly defense: ConnDefense | null;
  sloppyTcp: boolean;
  adoptConsistent: boolean;
  expireQuiescentTemplate: boolean;
  /** TCP connections created by a packet without SYN (sloppy_tcp or adoption). */
  adopted = 0;
  /**
   * The persistent scheduling of another address family (ConnManager6 sets schedPersist6's);
   * null: schedPersist on this table's IPv4 columns.
   */
  persist: ((svc: Service, inp: SchedInput) => number) | null = null;

  constructor(
    t: ConnTable,
    expiry: ConnExpiry,
    fnat: LocalAddrPool | null = null,
    opts: ConnSetupOptions = {},
    defense: ConnDefense | null = null,
  ) {
    this.t = t;
    this.expiry = expiry;
    this.fnat = fnat;
    this.defense = defense;
    this.sloppyTcp = opts.sloppyTcp ?? false;
    this.adoptConsistent = opts.adoptConsistent ?? false;
    this.expireQuiescentTemplate = opts.expireQuiescentTemplate ?? false;
  }

  /**
   * Create the connection for the first packet <inp> of a flow to `svc` (inp.protocol, caddr,
   * cport, vaddr, vport = the packet's; daddr = packet destination; nowMs = batch clock).
   * Returns the new conn id (>= 0), or minus a drop reason:
   *   -DROP_NOT_SYN          TCP with RST, or without SYN unless sloppyTcp, or adoptConsistent and
   *                          the service's scheduler is consistent (tcp_conn_schedule)
   *   -DROP_DEFENSE_PACKET   drop_packet's 1-in-rate drop (ip_vs_todrop in tcp/udp_conn_schedule)
   *   -DROP_NO_DEST          no real server: answer ICMP port unreachable (ip_vs_leave)
   *   -DROP_CONN_TABLE_FULL  table full (the kernel's ENOMEM, *ignored = -1: plain drop)
   *   -DROP_PORTS_EXHAUSTED  full NAT local ports exhausted (plain drop)
   *   -DROP_NOT_FOR_US       source port 20 (FTPDATA is never scheduled; the kernel accepts it)
   * The caller then runs the state transition for this packet and ConnExpiry.put, as ip_vs_in does.
   */
  schedule(svc: Service, inp: SchedInput, tcpFlags: number): number {
    const proto = inp.protocol;
    let adopt = false;
    if (proto === IPPROTO_TCP) {
      // tcp_conn_schedule: "(th->syn || sysctl_sloppy_tcp(ipvs)) && !th->rst".
      if ((tcpFlags & TCP_RST) !== 0) return -DROP_NOT_SYN;
      if ((tcpFlags & TCP_SYN) === 0) {
        if (!this.sloppyTcp && !(this.adoptConsistent && svc.sched.consistent === true)) return -DROP_NOT_SYN;
        adopt = true;
      }
    } else if (proto !== IPPROTO_UDP) {
      return -DROP_NO_SERVICE;
    }
    // "It seems that we are very loaded. We have to drop this packet :("
    if (this.defense !== null && this.defense.todrop()) return -DROP_DEFENSE_PACKET;
    // "Never schedule Active FTPDATA connections from real server."
    if (inp.cport === FTPDATA) return -DROP_NOT_FOR_US;
    // Embryonic quota (embryonic-list.ts): a new TCP connection starts embryonic; at the quota
    // the oldest embryonic entry makes room. Done before any template is looked up or made, so
    // the deletion can never take the template this connection is about to use. A loop: a closed
    // connection that a new SYN took back into the handshake (tcpStateTransition) joins the list
    // without a check, so the list may stand a few over the quota until the next new SYN.
    if (proto === IPPROTO_TCP) while (this.t.embryonic.full() && this.recycleEmbryonic(inp.nowMs));
    if (svc.flags & SVC_F_PERSISTENT) {
      const pid =
        this.persist !== null
          ? this.persist(svc, inp)
          : schedPersist(this.t, this.expiry, this.fnat, this.expireQuiescentTemplate, svc, inp);
      if (adopt && pid >= 0) this.adopted++;
      return pid;
    }
    // "port zero only supported in persistent services": *ignored = 0, so ICMP.
    if (svc.fwmark === 0 && inp.vport !== svc.port) return -DROP_NO_DEST;
    const dest = svc.sched.schedule(svc, inp);
    if (dest === null) return -DROP_NO_DEST;
    const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && proto === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
    const id = connNew(
      this.t,
      this.expiry,
      this.fnat,
      proto,
      inp.caddr,
      inp.cport,
      inp.vaddr,
      inp.vport,
      dest.port !== 0 ? dest.port : inp.vport,
      flags,
      dest,
      svc,
      inp.nowMs,
    );
    if (id < 0) return id;
    dest.conns++;
    svc.conns++;
    if (adopt) this.adopted++;
    return id;
  }

  /**
   * Delete the oldest embryonic entry (ip_vs_conn_del) to make room under the quota; false when
   * the list is empty (nothing to delete).
   */
  private recycleEmbryonic(nowMs: number): boolean {
    const emb = this.t.embryonic;
    const old = emb.head;
    if (old < 0) return false;
    if (!this.expiry.deleteConn(old, nowMs)) emb.unlink(old); // still live (controls others): not counted
    emb.recycled++;
    return true;
  }
}
