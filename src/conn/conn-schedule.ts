// Connection setup for a packet that matched no connection: tcp/udp_conn_schedule
// (ip_vs_proto_tcp.c / ip_vs_proto_udp.c), ip_vs_schedule, ip_vs_sched_persist (ip_vs_core.c),
// ip_vs_conn_new and ip_vs_check_template (ip_vs_conn.c). Runs per new connection, never per
// established packet; allocates nothing.

import { DEST_F_AVAILABLE, FWD_FULLNAT, type Dest } from '../model/dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, type Service } from '../model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { SchedInput } from '../model/scheduler.ts';
import {
  DROP_CONN_TABLE_FULL,
  DROP_DEFENSE_PACKET,
  DROP_NO_DEST,
  DROP_NO_SERVICE,
  DROP_NOT_FOR_US,
  DROP_NOT_SYN,
  DROP_PORTS_EXHAUSTED,
} from '../lib/drops.ts';
import { TCP_RST, TCP_SYN } from './proto-tcp.ts';
import {
  CONN_F_COMMITTED,
  CONN_F_HASHED,
  CONN_F_LPORT_POOLED,
  CONN_F_ONE_PACKET,
  CONN_F_TEMPLATE,
} from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import { bindDest } from './bind-dest.ts';
import { controlAdd, type ConnExpiry } from './expiry.ts';
import type { ConnDefense } from './defense.ts';
import type { LocalAddrPool } from './port-pool.ts';

/** ip_vs_conn_new: cp->timeout = 3*HZ until the first state transition sets the state's. */
export const INITIAL_TIMEOUT_MS = 3000;
const FTPPORT = 21;
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
      const pid = this.schedPersist(svc, inp);
      if (adopt && pid >= 0) this.adopted++;
      return pid;
    }
    // "port zero only supported in persistent services": *ignored = 0, so ICMP.
    if (svc.fwmark === 0 && inp.vport !== svc.port) return -DROP_NO_DEST;
    const dest = svc.sched.schedule(svc, inp);
    if (dest === null) return -DROP_NO_DEST;
    const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && proto === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
    const id = this.newConn(
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
   * ip_vs_sched_persist: reuse the client's live template <proto, caddr & netmask, 0, vaddr,
   * vport> (vport 0 for port-zero and FTP services; proto 0 and vaddr = fwmark for fwmark
   * services), or schedule once and create one with the service's persistence timeout. The new
   * connection is controlled by the template, and the template's timer restarts.
   */
  private schedPersist(svc: Service, inp: SchedInput): number {
    const t = this.t;
    const snet = (inp.caddr & svc.netmask) >>> 0;
    let tproto = inp.protocol;
    let tvaddr = inp.vaddr;
    let tvport = 0;
    if (inp.vport === svc.port) {
      if (svc.port !== FTPPORT) tvport = inp.vport;
    } else if (svc.fwmark !== 0) {
      tproto = 0; // IPPROTO_IP
      tvaddr = svc.fwmark >>> 0;
    }
    let ct = t.lookupTemplate(tproto, snet, tvaddr, tvport);
    let dest: Dest;
    if (ct < 0 || !this.checkTemplate(ct)) {
      const d = svc.sched.schedule(svc, inp);
      if (d === null) return -DROP_NO_DEST;
      dest = d;
      const tdport = inp.vport === svc.port && svc.port !== FTPPORT ? dest.port : 0;
      ct = this.newConn(tproto, snet, 0, tvaddr, tvport, tdport, CONN_F_TEMPLATE, dest, svc, inp.nowMs);
      if (ct < 0) return -DROP_CONN_TABLE_FULL;
      t.timeoutMs[ct] = svc.timeoutSec * 1000;
    } else {
      dest = t.dest[ct]!;
    }
    let dport = inp.vport;
    if (dport === svc.port && dest.port !== 0) dport = dest.port;
    const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && inp.protocol === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
    const id = this.newConn(
      inp.protocol,
      inp.caddr,
      inp.cport,
      inp.vaddr,
      inp.vport,
      dport,
      flags,
      dest,
      svc,
      inp.nowMs,
    );
    if (id < 0) {
      this.expiry.put(ct, inp.nowMs);
      return id;
    }
    controlAdd(t, id, ct);
    this.expiry.put(ct, inp.nowMs);
    dest.conns++;
    svc.conns++;
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

  /**
   * ip_vs_check_template: a template whose dest was removed (not AVAILABLE), or is quiesced while
   * expire_quiescent_template is set, is made unfindable (dport = vport = 0xffff, cport = 0,
   * rehashed) and left to expire on its own timer.
   */
  private checkTemplate(ct: number): boolean {
    const t = this.t;
    const dest = t.dest[ct];
    if (
      dest !== null &&
      dest !== undefined &&
      (dest.flags & DEST_F_AVAILABLE) !== 0 &&
      !(this.expireQuiescentTemplate && dest.weight === 0)
    ) {
      return true;
    }
    if (t.vport[ct] !== 0xffff && (t.flags[ct]! & CONN_F_HASHED) !== 0) {
      t.unhashIn(ct);
      t.dport[ct] = 0xffff;
      t.vport[ct] = 0xffff;
      t.cport[ct] = 0;
      t.hashIn(ct);
    }
    return false;
  }

  /**
   * ip_vs_conn_new + ip_vs_bind_dest + ip_vs_conn_hash. Full NAT connections take a local
   * address and port first; others use the client's as laddr/lport. State NONE (0), timeout 3 s,
   * armed so that a connection the caller never put() still expires.
   */
  private newConn(
    proto: number,
    caddr: number,
    cport: number,
    vaddr: number,
    vport: number,
    dport: number,
    flags: number,
    dest: Dest,
    svc: Service,
    nowMs: number,
  ): number {
    const t = this.t;
    let laddr = caddr;
    let lport = cport;
    if (dest.fwd === FWD_FULLNAT && (flags & CONN_F_TEMPLATE) === 0) {
      if (this.fnat === null) return -DROP_PORTS_EXHAUSTED;
      const p = this.fnat.alloc();
      if (p < 0) return -DROP_PORTS_EXHAUSTED;
      laddr = this.fnat.lastAddr;
      lport = p;
      flags |= CONN_F_LPORT_POOLED;
    }
    const id = t.alloc();
    if (id < 0) {
      if (flags & CONN_F_LPORT_POOLED) this.fnat!.release(laddr, lport);
      return -DROP_CONN_TABLE_FULL;
    }
    t.protocol[id] = proto;
    t.caddr[id] = caddr;
    t.cport[id] = cport;
    t.vaddr[id] = vaddr;
    t.vport[id] = vport;
    t.daddr[id] = dest.addr;
    t.dport[id] = dport;
    t.laddr[id] = laddr;
    t.lport[id] = lport;
    t.flags[id] = t.flags[id]! | flags;
    bindDest(t, id, dest, svc);
    t.state[id] = 0;
    t.timeoutMs[id] = INITIAL_TIMEOUT_MS;
    if ((flags & CONN_F_ONE_PACKET) === 0) {
      t.hashIn(id);
      if ((flags & CONN_F_TEMPLATE) === 0) t.hashOut(id);
    }
    if (proto === IPPROTO_TCP && (flags & CONN_F_TEMPLATE) === 0) t.embryonic.link(id); // state NONE
    this.expiry.wheel.arm(id, nowMs + INITIAL_TIMEOUT_MS);
    t.flags[id] = t.flags[id]! | CONN_F_COMMITTED; // last: the entry is whole (conn-restore.ts)
    return id;
  }
}
