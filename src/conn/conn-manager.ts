// The connection layer in one object: table, timers, setup and per-packet state handling, wired
// the way ip_vs_in / ip_vs_out (ip_vs_core.c) use ip_vs_conn.c and the protocol handlers.
//
// Per packet, client -> director:
//   id = conns.lookupIn(proto, saddr, sport, daddr, dport)
//   if (id >= 0) { v = conns.checkExisting(id, tcpFlags, nowMs);
//                  if (v === REUSE_DROP) drop DROP_DEST_QUIESCED; if (v === REUSE_RESCHEDULE) id = -1; }
//   if (id < 0) { fill SchedInput; id = conns.schedule(svc, inp, tcpFlags);
//                 if (id < 0) { drops.count(-id); if (-id === DROP_NO_DEST) send ICMP port unreachable; } }
//   rewrite with conns.table.daddr[id] / dport[id] (and laddr/lport for full NAT), then
//   conns.onPacket(id, DIR_INPUT, tcpFlags, nowMs)
// Per packet, real server -> director:
//   id = conns.lookupOut(proto, saddr, sport, daddr, dport); rewrite with vaddr/vport (and
//   caddr/cport for full NAT); conns.onPacket(id, DIR_OUTPUT, tcpFlags, nowMs)
// Periodically (e.g. once per batch or every 100 ms): conns.expire(nowMs).
// Once a second (DEFENSE_TIMER_PERIOD_MS): conns.defenseWork(nowMs), the kernel's defense_work.

import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { stateTransition } from './proto-state.ts';
import { Timeouts } from './proto-timeouts.ts';
import { ConnTable, type ConnTableOptions } from './conn-table.ts';
import { ConnExpiry, DEFAULT_EXPIRE_BUDGET, type ConnExpiryOptions } from './expiry.ts';
import { ConnSetup, type ConnSetupOptions } from './conn-schedule.ts';
import { LocalAddrPool } from './port-pool.ts';
import { forEachConn, listConns, type ConnView } from './conn-iter.ts';
import { checkExistingConn, DEFAULT_REUSE_SYSCTLS, type ReuseSysctls } from './conn-reuse.ts';
import { ConnDefense, type DefenseSysctls } from './defense.ts';
import { DIR_OUTPUT } from './direction.ts';

export interface ConnManagerOptions extends ConnTableOptions, ConnExpiryOptions, ConnSetupOptions {
  /** Full NAT local addresses (uint32). Without them a full NAT dest gets DROP_PORTS_EXHAUSTED. */
  localAddrs?: readonly number[];
  /** Full NAT local port range, default 1024..65535. */
  lportMin?: number;
  lportMax?: number;
  /** This worker's slice of the local ports (PortPool: p % lportSlots == lportSlot); default 0 of 1. */
  lportSlot?: number;
  lportSlots?: number;
  /** Shared timeout tables (ipvsadm --set); a fresh default set when omitted. */
  timeouts?: Timeouts;
  /** conn_reuse_mode / expire_nodest_conn; kernel defaults (1, 0) when omitted. */
  reuse?: ReuseSysctls;
  /** drop_entry, drop_packet, secure_tcp, amemthresh, am_droprate; kernel defaults when omitted. */
  defense?: Partial<DefenseSysctls>;
  /** Seed of drop_entry's random bucket choice; default random. */
  defenseSeed?: number;
  /** The table to manage (a ConnTable6's, conn-manager6.ts); default a new one from these options. */
  table?: ConnTable;
}

export class ConnManager {
  readonly table: ConnTable;
  readonly expiry: ConnExpiry;
  readonly setup: ConnSetup;
  readonly timeouts: Timeouts;
  readonly fnat: LocalAddrPool | null;
  /** Mutable sysctls for checkExisting. */
  readonly reuse: ReuseSysctls;
  /** The defence strategies (defense.ts). */
  readonly defense: ConnDefense;

  constructor(opts: ConnManagerOptions = {}) {
    this.table = opts.table ?? new ConnTable(opts);
    this.fnat =
      opts.localAddrs !== undefined && opts.localAddrs.length > 0
        ? new LocalAddrPool(opts.localAddrs, opts.lportMin, opts.lportMax, opts.lportSlot, opts.lportSlots)
        : null;
    this.expiry = new ConnExpiry(this.table, this.fnat, opts);
    this.timeouts = opts.timeouts ?? new Timeouts();
    this.defense = new ConnDefense(this.table, this.expiry, this.timeouts, opts.defense, opts.defenseSeed);
    this.setup = new ConnSetup(this.table, this.expiry, this.fnat, opts, this.defense);
    this.reuse = { ...(opts.reuse ?? DEFAULT_REUSE_SYSCTLS) };
  }

  /** Live entries, connections and templates (ipvs->conn_count). */
  get count(): number {
    return this.table.count;
  }

  /** Connection of a client -> director packet <proto, saddr, sport, daddr, dport>, or -1. */
  lookupIn(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    return this.table.lookupIn(proto, saddr, sport, daddr, dport);
  }

  /** Connection of a real server -> director packet <proto, saddr, sport, daddr, dport>, or -1. */
  lookupOut(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    return this.table.lookupOut(proto, saddr, sport, daddr, dport);
  }

  /**
   * ip_vs_in's checks on a client packet that matched `id`: REUSE_KEEP, REUSE_RESCHEDULE (port
   * reuse after TIME_WAIT/CLOSE, or a dead/quiesced server with expire_nodest_conn) or REUSE_DROP.
   */
  checkExisting(id: number, tcpFlags: number, nowMs: number): number {
    return checkExistingConn(this.table, this.expiry, id, tcpFlags, nowMs, this.reuse);
  }

  /** New connection for a packet that matched none: id, or minus a DROP_* (see ConnSetup.schedule). */
  schedule(svc: Service, inp: SchedInput, tcpFlags: number): number {
    return this.setup.schedule(svc, inp, tcpFlags);
  }

  /** ip_vs_set_state + ip_vs_conn_put: the state transition for this packet, then re-arm. */
  onPacket(id: number, direction: number, tcpFlags: number, nowMs: number): void {
    if (direction !== DIR_OUTPUT) {
      // cp->in_pkts (ip_vs_in_hook's atomic_inc_return), saturating; todrop_entry reads it.
      const t = this.table;
      const n = t.inPkts[id]!;
      if (n !== 0xffffffff) t.inPkts[id] = n + 1;
    }
    stateTransition(this.table, id, direction, tcpFlags, this.timeouts);
    this.expiry.put(id, nowMs);
  }

  /** ip_vs_in_stats: a client's packet of `bytes` counted on the connection's dest and service. */
  countIn(id: number, bytes: number): void {
    const t = this.table;
    const dest = t.dest[id]!;
    const svc = t.svc[id]!;
    dest.inPkts++;
    dest.inBytes += bytes;
    svc.inPkts++;
    svc.inBytes += bytes;
  }

  /**
   * ip_vs_out_stats: a real server's packet of `bytes` counted on the connection's dest and
   * service (either may be gone: a connection outlives its dest's removal).
   */
  countOut(id: number, bytes: number): void {
    const t = this.table;
    const dest = t.dest[id];
    const svc = t.svc[id];
    if (dest) {
      dest.outPkts++;
      dest.outBytes += bytes;
    }
    if (svc) {
      svc.outPkts++;
      svc.outBytes += bytes;
    }
  }

  /** Fire due timers; bounded work per call. Returns how many fired. */
  expire(nowMs: number, budget = DEFAULT_EXPIRE_BUDGET): number {
    return this.expiry.expire(nowMs, budget);
  }

  /** defense_work_handler: update the defence level, run drop_entry when engaged. Once a second. */
  defenseWork(nowMs: number): void {
    this.defense.work(nowMs);
  }

  /** ip_vs_conn_del: delete an entry now (templates still controlling conns wait 60 s more). */
  deleteConn(id: number, nowMs: number): boolean {
    return this.expiry.deleteConn(id, nowMs);
  }

  forEach(nowMs: number, visit: (v: ConnView) => boolean | void): number {
    return forEachConn(this.table, this.expiry, nowMs, visit);
  }

  list(nowMs: number, which: 'all' | 'conns' | 'templates' = 'all'): ConnView[] {
    return listConns(this.table, this.expiry, nowMs, which);
  }
}
