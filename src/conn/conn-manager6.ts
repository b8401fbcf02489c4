// The IPv6 connection layer: a ConnManager over a ConnTable6's table, so that IPv6 connections
// share the code of IPv4 ones (state machines, timers, expiry, defence, the schedulers) and only
// the lookups and the 128-bit address columns are the table's own. ip_vs_conn.c keeps both
// families in one table (ip_vs_conn_hashkey folds an IPv6 address into the same 32-bit key); here
// the IPv4 table keeps its layout and speed, and an IPv6 entry's folds are its hash keys while
// the side columns decide equality (conn-table6.ts).
//
// Per packet the IPv6 pipeline calls lookupIn / lookupOut with the parsed frame's words, then the
// same ConnManager methods (checkExisting, onPacket) on `conns` as the IPv4 pipeline does.

import { DROP_NO_SERVICE } from '../lib/drops.ts';
import { SVC_F_PERSISTENT, type Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { ConnManager, type ConnManagerOptions } from './conn-manager.ts';
import { ConnTable6 } from './conn-table6.ts';
import { type ConnView } from './conn-iter.ts';

export class ConnManager6 {
  readonly t6: ConnTable6;
  readonly conns: ConnManager;

  /** opts as ConnManager's, without a mapped memory (IPv6 entries have no state file layout) or local addresses. */
  constructor(opts: ConnManagerOptions = {}) {
    const { memory: _memory, localAddrs: _localAddrs, table: _table, ...rest } = opts;
    this.t6 = new ConnTable6(rest);
    this.conns = new ConnManager({ ...rest, table: this.t6.table });
  }

  /** __ip_vs_conn_in_get: the connection of a client -> VIP packet, or -1. */
  lookupIn(proto: number, caddr: Uint32Array, cport: number, vaddr: Uint32Array, vport: number): number {
    return this.t6.lookupIn(proto, caddr, cport, vaddr, vport);
  }

  /** ip_vs_conn_out_get: the connection of a real server's packet daddr:dport -> laddr:lport, or -1. */
  lookupOut(proto: number, daddr: Uint32Array, dport: number, laddr: Uint32Array, lport: number): number {
    return this.t6.lookupOut(proto, daddr, dport, laddr, lport);
  }

  /**
   * ip_vs_schedule for an IPv6 client: the scheduler and the entry through ConnManager.schedule
   * (inp holds the folds, as the kernel's schedulers hash them), then the 128-bit columns of the
   * new entry: client, VIP, the real server's address and, for masquerading, the client again as
   * the local end. The hash indexes were filled from the folds, which setAddrs leaves as they are.
   * Returns the id or minus a drop reason, as ConnManager.schedule does. A persistent service is
   * -DROP_NO_SERVICE: ip_vs_sched_persist masks the client address with an IPv4 netmask, and an
   * IPv6 service's -M is a prefix length, so its templates would group unrelated clients.
   */
  schedule(svc: Service, inp: SchedInput, tcpFlags: number, caddr: Uint32Array, vaddr: Uint32Array): number {
    if ((svc.flags & SVC_F_PERSISTENT) !== 0) return -DROP_NO_SERVICE;
    const id = this.conns.schedule(svc, inp, tcpFlags);
    if (id < 0) return id;
    const dest = this.t6.table.dest[id]!;
    this.t6.setAddrs(id, caddr, vaddr, dest.addr6, caddr);
    return id;
  }

  /** The 128-bit addresses of a listed entry, copied for the control plane. */
  addrsOf(v: ConnView): { caddr6: Uint32Array; vaddr6: Uint32Array; daddr6: Uint32Array } {
    const k = v.id << 2;
    return {
      caddr6: this.t6.caddr6.slice(k, k + 4),
      vaddr6: this.t6.vaddr6.slice(k, k + 4),
      daddr6: this.t6.daddr6.slice(k, k + 4),
    };
  }
}
