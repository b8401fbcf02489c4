// The IPv6 connection layer: a ConnManager over a ConnTable6's table, so that IPv6 connections
// share the code of IPv4 ones (state machines, timers, expiry, defence, the schedulers) and only
// the lookups and the 128-bit address columns are the table's own. ip_vs_conn.c keeps both
// families in one table (ip_vs_conn_hashkey folds an IPv6 address into the same 32-bit key); here
// the IPv4 table keeps its layout and speed, and an IPv6 entry's folds are its hash keys while
// the side columns decide equality (conn-table6.ts).
//
// Per packet the IPv6 pipeline calls lookupIn / lookupOut with the parsed frame's words, then the
// same ConnManager methods (checkExisting, onPacket) on `conns` as the IPv4 pipeline does.

import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import type { Inet6 } from '../lib/inet6.ts';
import { ConnManager, type ConnManagerOptions } from './conn-manager.ts';
import { ConnTable6 } from './conn-table6.ts';
import { type ConnView } from './conn-iter.ts';
import { CONN_F_LPORT_POOLED } from './conn-flags.ts';
import { Persist6Scratch, schedPersist6 } from './sched-persist6.ts';
import { LocalAddrs6 } from './local-addrs6.ts';

export interface ConnManager6Options extends ConnManagerOptions {
  /** Full NAT local IPv6 addresses; without them an IPv6 full NAT dest gets DROP_PORTS_EXHAUSTED. */
  localAddrs6?: readonly Inet6[];
  /** The IPv6 state file's mapping, laid out by conn-layout6.ts (`memory` is the IPv4 table's). */
  memory6?: ArrayBuffer;
}

export class ConnManager6 {
  readonly t6: ConnTable6;
  readonly conns: ConnManager;
  /** The full NAT local IPv6 addresses by their folds, the keys of the port pools. */
  readonly laddrs: LocalAddrs6;
  private readonly scratch = new Persist6Scratch();
  /** The addresses of the packet being scheduled, for the persistence hook. */
  private caddr: Uint32Array = new Uint32Array(4);
  private vaddr: Uint32Array = new Uint32Array(4);

  /**
   * opts as ConnManager's, with memory6 for the mapped memory (`memory` is the IPv4 table's and
   * left out); the local addresses are IPv6 ones (localAddrs6), whose folds key the port pools.
   */
  constructor(opts: ConnManager6Options = {}) {
    const { memory: _memory, memory6, localAddrs: _localAddrs, localAddrs6, table: _table, ...rest } = opts;
    this.t6 = new ConnTable6(memory6 === undefined ? rest : { ...rest, memory: memory6 });
    this.laddrs = new LocalAddrs6(localAddrs6 ?? []);
    const folds = this.laddrs.folds();
    this.conns = new ConnManager({ ...rest, table: this.t6.table, ...(folds.length > 0 ? { localAddrs: folds } : {}) });
    const c = this.conns;
    c.setup.persist = (svc, inp) =>
      schedPersist6(
        this.t6,
        c.expiry,
        c.fnat,
        c.setup.expireQuiescentTemplate,
        svc,
        inp,
        this.caddr,
        this.vaddr,
        this.scratch,
      );
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
   * new entry: client, VIP, the real server's address and the local end: for full NAT the local
   * IPv6 address whose fold the port pool handed out, else the client again. The hash indexes
   * were filled from the folds, which setAddrs leaves as they are. A persistent service goes
   * through schedPersist6 (the setup's persist hook), which reads caddr / vaddr from here.
   * Returns the id or minus a drop reason, as ConnManager.schedule does.
   */
  schedule(svc: Service, inp: SchedInput, tcpFlags: number, caddr: Uint32Array, vaddr: Uint32Array): number {
    this.caddr = caddr;
    this.vaddr = vaddr;
    const id = this.conns.schedule(svc, inp, tcpFlags);
    if (id < 0) return id;
    const t = this.t6.table;
    const pooled = (t.flags[id]! & CONN_F_LPORT_POOLED) !== 0;
    this.t6.setAddrs(id, caddr, vaddr, t.dest[id]!.addr6, pooled ? this.laddrs.byFold(t.laddr[id]!) : caddr);
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
