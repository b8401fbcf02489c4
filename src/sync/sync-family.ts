// The two families of ip_vs_proc_conn (sync-proc-conn.ts): where the kernel's one function reads
// union nf_inet_addr and compares with ip_vs_addr_equal, tsvs has one connection table per family
// (conn-table.ts for IPv4, conn-table6.ts for IPv6: 32-bit folds as hash keys, 128-bit side
// columns compared in full). Each class answers the backup's lookups in its own table and fills a
// new entry's address columns; ip_vs_find_dest looks in the services of the entry's family
// (ip_vs_service_find(ipvs, af, ...)) for a real server of that family (ip_vs_lookup_dest: dest->af).

import type { ConnTable } from '../conn/conn-table.ts';
import type { ConnTable6 } from '../conn/conn-table6.ts';
import type { ConnExpiry } from '../conn/expiry.ts';
import type { Timeouts } from '../conn/proto-timeouts.ts';
import { inet6Equal } from '../lib/inet6.ts';
import { AF_INET, AF_INET6, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { SyncConnState } from './sync-conn-state.ts';
import type { SyncEntry } from './sync-entry.ts';
import type { SyncFamily } from './sync-proc-conn.ts';

/** The service lookups ip_vs_service_find needs, by family (ServiceTable). */
export interface SyncServices {
  lookup(protocol: number, vaddr: number, vport: number): Service | null;
  lookupFwmark(fwmark: number): Service | null;
  lookup6(protocol: number, vaddr6: Uint32Array, vport: number): Service | null;
  lookupFwmark6(fwmark: number): Service | null;
}

/** IPv4 entries (struct ip_vs_sync_v4) in the IPv4 table. */
export class SyncFamily4 implements SyncFamily {
  constructor(
    readonly t: ConnTable,
    readonly expiry: ConnExpiry,
    readonly timeouts: Timeouts,
    readonly st: SyncConnState,
    private readonly services: SyncServices,
  ) {}

  lookup(e: SyncEntry, template: boolean): number {
    return template
      ? this.t.lookupTemplate(e.protocol, e.caddr, e.vaddr, e.vport)
      : this.t.lookupIn(e.protocol, e.caddr, e.cport, e.vaddr, e.vport);
  }

  sameDest(id: number, e: SyncEntry): boolean {
    return this.t.dport[id] === e.dport && this.t.daddr[id] === e.daddr;
  }

  findService(e: SyncEntry): Service | null {
    return e.fwmark !== 0 ? this.services.lookupFwmark(e.fwmark) : this.services.lookup(e.protocol, e.vaddr, e.vport);
  }

  destIs(d: Dest, e: SyncEntry, port: number): boolean {
    return d.af === AF_INET && d.addr === e.daddr && d.port === port;
  }

  setAddrs(id: number, e: SyncEntry): void {
    const t = this.t;
    t.caddr[id] = e.caddr;
    t.vaddr[id] = e.vaddr;
    t.daddr[id] = e.daddr;
    t.laddr[id] = e.hasFullNat ? e.laddr : e.caddr;
  }
}

/** IPv6 entries (struct ip_vs_sync_v6) in the IPv6 table, every address compared in 128 bits. */
export class SyncFamily6 implements SyncFamily {
  readonly t: ConnTable;

  constructor(
    readonly t6: ConnTable6,
    readonly expiry: ConnExpiry,
    readonly timeouts: Timeouts,
    readonly st: SyncConnState,
    private readonly services: SyncServices,
  ) {
    this.t = t6.table;
  }

  lookup(e: SyncEntry, template: boolean): number {
    return template
      ? this.t6.lookupTemplate(e.protocol, e.caddr6, e.vaddr6, e.vport)
      : this.t6.lookupIn(e.protocol, e.caddr6, e.cport, e.vaddr6, e.vport);
  }

  sameDest(id: number, e: SyncEntry): boolean {
    const d = this.t6.daddr6;
    const k = id << 2;
    const w = e.daddr6;
    return this.t.dport[id] === e.dport && d[k] === w[0] && d[k + 1] === w[1] && d[k + 2] === w[2] && d[k + 3] === w[3];
  }

  findService(e: SyncEntry): Service | null {
    return e.fwmark !== 0
      ? this.services.lookupFwmark6(e.fwmark)
      : this.services.lookup6(e.protocol, e.vaddr6, e.vport);
  }

  destIs(d: Dest, e: SyncEntry, port: number): boolean {
    return d.af === AF_INET6 && d.port === port && inet6Equal(d.addr6, e.daddr6);
  }

  /** ConnTable6.setAddrs: the four words and their folds (the hash keys); next hops found on the first packet. */
  setAddrs(id: number, e: SyncEntry): void {
    this.t6.setAddrs(id, e.caddr6, e.vaddr6, e.daddr6, e.hasFullNat ? e.laddr6 : e.caddr6);
  }
}
