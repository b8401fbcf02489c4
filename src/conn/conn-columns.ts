// ConnColumns: the fields of every connection, struct ip_vs_conn of include/net/ip_vs.h laid out
// struct-of-arrays by conn id; ConnTable (conn-table.ts) adds the indexes and the free list.
//
//   id:        0     1     2     3    ...  capacity-1      one column per field, typed arrays
//   caddr[]  [ .. ][ .. ][ .. ][ .. ]      dest[]/svc[] are preallocated plain arrays of refs
//
// The columns are views on `memory` when one is given (a mapped state file, conn-layout.ts, whose
// declared column list must name every column here), else on the heap.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { CONN_COLUMNS, ColumnSource, type ConnColumn } from './conn-layout.ts';

export class ConnColumns {
  readonly capacity: number;
  /** IPPROTO_*; 0 (IPPROTO_IP) for fwmark templates. */
  readonly protocol: Uint8Array;
  readonly caddr: Uint32Array;
  readonly cport: Uint16Array;
  /** Virtual address; the fwmark for fwmark templates. */
  readonly vaddr: Uint32Array;
  readonly vport: Uint16Array;
  /** Real server. */
  readonly daddr: Uint32Array;
  readonly dport: Uint16Array;
  /** Source the real server sees: a local address in full NAT, else caddr/cport. */
  readonly laddr: Uint32Array;
  readonly lport: Uint16Array;
  /** Full NAT TCP timestamp translation (src/nat/tcp-timestamp.ts); 0 = none. */
  readonly tsDelta: Int32Array;
  /** CONN_F_* bits. */
  readonly flags: Uint32Array;
  /** Protocol state (IP_VS_TCP_S_*, UDP 0) or template state (CTPL_S_*). */
  readonly state: Uint8Array;
  /** cp->timeout: what the next re-arm adds to now. */
  readonly timeoutMs: Uint32Array;
  /** cp->control: id of the controlling template, or -1. */
  readonly control: Int32Array;
  /** cp->n_control: live connections this entry controls. */
  readonly nControl: Int32Array;
  /** cp->in_pkts: client -> director packets, saturating (todrop_entry reads 0..8). */
  readonly inPkts: Uint32Array;
  /** cp->timer.expires (Date.now() ms), the timer wheel's own array (expiry.ts). */
  readonly expiresMs: Float64Array;
  /** The bound service's identity (model/service-key.ts), to rebind after a restart. */
  readonly svcProtocol: Uint8Array;
  readonly svcAddr: Uint32Array;
  readonly svcPort: Uint16Array;
  readonly svcFwmark: Uint32Array;
  /** The bound dest's port (its address is daddr), to rebind after a restart. */
  readonly destPort: Uint16Array;
  readonly dest: (Dest | null)[];
  readonly svc: (Service | null)[];
  // --- SYN proxy columns (src/datapath/synproxy.ts), read only when CONN_F_SYNPROXY is set ---
  /** Cookie ISN - real server ISN (src/nat/seq-translate.ts); the pending slot while CONN_F_SP_PENDING. */
  readonly spSeqDelta: Int32Array;
  /** Cookie TSval - real server TSval; 0 = no timestamp translation. */
  readonly spTsDelta: Int32Array;
  /** Window scales: low nibble the one the client was given, high nibble the server's; 15 = none. */
  readonly spWscale: Uint8Array;
  /**
   * The real server's highest ACK (client numbering): the left edge of its receive window as it
   * last advertised it (the kernel's rcv_wup), for the RST check.
   */
  readonly spSrvAck: Uint32Array;
  /** The real server's last advertised window in bytes, for the RST check. */
  readonly spSrvWin: Uint32Array;
  // --- end of the SYN proxy columns ---

  /** cap entries, in memory laid out by connLayout(cap, columns), or on the heap when memory is null. */
  constructor(cap: number, memory: ArrayBuffer | null, columns: readonly ConnColumn[] = CONN_COLUMNS) {
    this.capacity = cap;
    const cols = new ColumnSource(cap, memory, columns);
    this.protocol = cols.u8('protocol');
    this.caddr = cols.u32('caddr');
    this.cport = cols.u16('cport');
    this.vaddr = cols.u32('vaddr');
    this.vport = cols.u16('vport');
    this.daddr = cols.u32('daddr');
    this.dport = cols.u16('dport');
    this.laddr = cols.u32('laddr');
    this.lport = cols.u16('lport');
    this.tsDelta = cols.i32('tsDelta');
    this.flags = cols.u32('flags');
    this.state = cols.u8('state');
    this.timeoutMs = cols.u32('timeoutMs');
    this.control = cols.i32('control');
    if (memory === null) this.control.fill(-1);
    this.nControl = cols.i32('nControl');
    this.inPkts = cols.u32('inPkts');
    this.expiresMs = cols.f64('expiresMs');
    this.svcProtocol = cols.u8('svcProtocol');
    this.svcAddr = cols.u32('svcAddr');
    this.svcPort = cols.u16('svcPort');
    this.svcFwmark = cols.u32('svcFwmark');
    this.destPort = cols.u16('destPort');
    this.dest = new Array<Dest | null>(cap).fill(null);
    this.svc = new Array<Service | null>(cap).fill(null);
    this.spSeqDelta = cols.i32('spSeqDelta');
    this.spTsDelta = cols.i32('spTsDelta');
    this.spWscale = cols.u8('spWscale');
    this.spSrvAck = cols.u32('spSrvAck');
    this.spSrvWin = cols.u32('spSrvWin');
  }
}
