// IPv6 connections: a ConnTable of their own whose address columns hold the kernel's 32-bit folds
// (ip6[0]^ip6[1]^ip6[2]^ip6[3], what ip_vs_conn_hashkey hashes for AF_INET6 in ip_vs_conn.c), plus
// side columns with the 128-bit addresses, which every lookup compares in full (as
// ip_vs_addr_equal does after the hash), walking on past fold collisions.
//
//   ConnTable (shared code)   caddr vaddr daddr laddr = folds, ports, state, timers, ...
//   ConnTable6 side columns   caddr6[4*id..] vaddr6 daddr6 laddr6 = four host-order words each
//                             hopIn hopOut = the transmitter's next hop toward the real server and
//                             toward the client, found on the first packet (xmit6.ts), 0 = not yet
//
// Why a separate instance and not IPv6 words in every entry: IPv4 entries keep their 180 bytes
// and their lookups stay as they are (no family branch, no wider key rows); an IPv6 entry costs
// 88 bytes more, only in the IPv6 table. With a mapped memory (the IPv6 state file, laid out by
// conn-layout6.ts) every column but the next hops lives in it, svcAddr6 included: the bound
// service's address, which setAddrs copies so that restoreConns6 (conn-restore6.ts) finds the
// service again; the next hops are this process's own and start at 0.

import { ConnTable, type ConnTableOptions } from './conn-table.ts';
import { ColumnSource } from './conn-layout.ts';
import { CONN6_COLUMNS } from './conn-layout6.ts';

/** Bytes each IPv6 entry adds to a ConnTable's: five 16-byte address columns, two next hops. */
export const CONN6_EXTRA_BYTES_PER_ENTRY = 88;

function fold(w: Uint32Array): number {
  return (w[0]! ^ w[1]! ^ w[2]! ^ w[3]!) >>> 0;
}

function put(col: Uint32Array, id: number, w: Uint32Array): number {
  const k = id << 2;
  col[k] = w[0]!;
  col[k + 1] = w[1]!;
  col[k + 2] = w[2]!;
  col[k + 3] = w[3]!;
  return fold(w);
}

function same(col: Uint32Array, id: number, w: Uint32Array): boolean {
  const k = id << 2;
  return col[k] === w[0] && col[k + 1] === w[1] && col[k + 2] === w[2] && col[k + 3] === w[3];
}

export class ConnTable6 {
  readonly table: ConnTable;
  readonly caddr6: Uint32Array;
  readonly vaddr6: Uint32Array;
  readonly daddr6: Uint32Array;
  readonly laddr6: Uint32Array;
  /** The bound service's address (svc.addr6; :: for a fwmark service), set by setAddrs. */
  readonly svcAddr6: Uint32Array;
  /** Next hop (Xmit6.resolve + 1) toward the real server and toward the client; 0 until the first packet. */
  readonly hopIn: Int32Array;
  readonly hopOut: Int32Array;

  /** opts as ConnTable's; a memory is laid out by connLayout(capacity, CONN6_COLUMNS). */
  constructor(opts: ConnTableOptions = {}) {
    this.table = new ConnTable({ ...opts, columns: CONN6_COLUMNS });
    const cols = new ColumnSource(this.table.capacity, opts.memory ?? null, CONN6_COLUMNS);
    this.caddr6 = cols.u128('caddr6');
    this.vaddr6 = cols.u128('vaddr6');
    this.daddr6 = cols.u128('daddr6');
    this.laddr6 = cols.u128('laddr6');
    this.svcAddr6 = cols.u128('svcAddr6');
    this.hopIn = new Int32Array(this.table.capacity);
    this.hopOut = new Int32Array(this.table.capacity);
  }

  /**
   * Store the four addresses of entry id and their folds (before hashIn / hashOut), and the bound
   * service's address when the entry has one (bindDest ran).
   */
  setAddrs(id: number, caddr: Uint32Array, vaddr: Uint32Array, daddr: Uint32Array, laddr: Uint32Array): void {
    const t = this.table;
    t.caddr[id] = put(this.caddr6, id, caddr);
    t.vaddr[id] = put(this.vaddr6, id, vaddr);
    t.daddr[id] = put(this.daddr6, id, daddr);
    t.laddr[id] = put(this.laddr6, id, laddr);
    const svc = t.svc[id];
    if (svc !== null && svc !== undefined) put(this.svcAddr6, id, svc.addr6);
    this.hopIn[id] = 0;
    this.hopOut[id] = 0;
  }

  /** __ip_vs_conn_in_get for IPv6: the connection of a client -> director packet, or -1. */
  lookupIn(proto: number, caddr: Uint32Array, cport: number, vaddr: Uint32Array, vport: number): number {
    const t = this.table;
    let id = t.lookupIn(proto, fold(caddr), cport, fold(vaddr), vport);
    while (id >= 0 && !(same(this.caddr6, id, caddr) && same(this.vaddr6, id, vaddr))) id = t.nextSameIn(id);
    return id;
  }

  /** ip_vs_conn_out_get for IPv6: <proto, daddr, dport, laddr, lport> of a real server's packet. */
  lookupOut(proto: number, daddr: Uint32Array, dport: number, laddr: Uint32Array, lport: number): number {
    const t = this.table;
    let id = t.lookupOut(proto, fold(daddr), dport, fold(laddr), lport);
    while (id >= 0 && !(same(this.daddr6, id, daddr) && same(this.laddr6, id, laddr))) id = t.nextSameOut(id);
    return id;
  }

  /** ip_vs_ct_in_get for IPv6: a persistence template <proto, caddr, vaddr, vport>, or -1. */
  lookupTemplate(proto: number, caddr: Uint32Array, vaddr: Uint32Array, vport: number): number {
    const t = this.table;
    let id = t.lookupTemplate(proto, fold(caddr), fold(vaddr), vport);
    while (id >= 0 && !(same(this.caddr6, id, caddr) && same(this.vaddr6, id, vaddr))) id = t.nextSameIn(id);
    return id;
  }
}
