// Fixed-capacity connection table, struct-of-arrays by conn id, with IN and OUT hash indexes
// (the data of struct ip_vs_conn and ip_vs_conn_tab in ip_vs_conn.c).
//
//   id:        0     1     2     3    ...  capacity-1      one column per field, typed arrays
//   caddr[]  [ .. ][ .. ][ .. ][ .. ]      dest[]/svc[] are preallocated plain arrays of refs
//
// Two ConnIndex instances find an id from a packet: IN by <proto, caddr, cport, vaddr, vport>
// (client -> director, and templates), OUT by <proto, daddr, dport, laddr, lport> (real server
// -> director; laddr/lport = caddr/cport in classic NAT). Free slots form a LIFO list.
//
// The columns are views on `memory` when one is given (a mapped state file, conn-layout.ts, whose
// declared column list must name every column here); the indexes, the free list and the embryonic
// list are rebuilt from the columns by restoreConns (conn-restore.ts) after a restart.

import type { Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { CONN_F_HASHED, CONN_F_HASHED_OUT, CONN_F_LIVE, CONN_F_TEMPLATE } from './conn-flags.ts';
import { ConnIndex } from './conn-index.ts';
import { EmbryonicList } from './embryonic-list.ts';
import { ColumnSource } from './conn-layout.ts';

/** Template bit in word 3 of an IN key (templates and connections never match each other). */
const KEY_TPL = 0x100;

export const DEFAULT_CONN_CAPACITY = 1 << 20;

export interface ConnTableOptions {
  /** Maximum live entries (connections + templates). Default 1 << 20. */
  capacity?: number;
  /** log2 of the bucket count of each index; default: capacity rounded up to a power of two. */
  hashBits?: number;
  /** Hash seed (ip_vs_conn_rnd); default random. */
  seed?: number;
  /** Most embryonic TCP entries (EmbryonicList); 0 = no quota, the default. */
  embryonicQuota?: number;
  /** Columns in this memory, laid out by connLayout(capacity) (a mapped state file); default: heap. */
  memory?: ArrayBuffer;
}

export class ConnTable {
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
  /** Live entries (ipvs->conn_count). */
  count: number;
  /** TCP entries still in the handshake, oldest first, under a quota. */
  readonly embryonic: EmbryonicList;

  /** Key <caddr, vaddr, cport << 16 | vport, proto | KEY_TPL if template>. */
  private readonly inIndex: ConnIndex;
  /** Key <daddr, laddr, dport << 16 | lport, proto>. */
  private readonly outIndex: ConnIndex;
  private readonly freeNext: Int32Array;
  private freeHead: number;

  constructor(opts: ConnTableOptions = {}) {
    const cap = opts.capacity ?? DEFAULT_CONN_CAPACITY;
    if (!Number.isInteger(cap) || cap < 1 || cap > 0x7fffffff) throw new RangeError(`bad conn table capacity ${cap}`);
    const bits = opts.hashBits ?? Math.max(0, Math.ceil(Math.log2(cap)));
    if (!Number.isInteger(bits) || bits < 0 || bits > 30) throw new RangeError(`bad hash bits ${bits}`);
    this.capacity = cap;
    const cols = new ColumnSource(cap, opts.memory ?? null);
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
    if (opts.memory === undefined) this.control.fill(-1);
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
    this.count = 0;
    this.embryonic = new EmbryonicList(cap, opts.embryonicQuota ?? 0, this.svc);
    const seed = (opts.seed ?? Math.random() * 0x100000000) | 0;
    this.inIndex = new ConnIndex(cap, bits, seed);
    this.outIndex = new ConnIndex(cap, bits, seed ^ 0x5bd1e995);
    this.freeNext = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.freeNext[i] = i + 1 < cap ? i + 1 : -1;
    this.freeHead = 0;
  }

  /** Take a free slot, cleared and marked live; -1 when the table is full. */
  alloc(): number {
    const id = this.freeHead;
    if (id < 0) return -1;
    this.freeHead = this.freeNext[id]!;
    this.freeNext[id] = -1;
    this.flags[id] = CONN_F_LIVE;
    this.tsDelta[id] = 0;
    this.state[id] = 0;
    this.timeoutMs[id] = 0;
    this.control[id] = -1;
    this.nControl[id] = 0;
    this.inPkts[id] = 0;
    this.count++;
    return id;
  }

  /** Unhash (if hashed), drop the object refs, return the slot to the free list. */
  free(id: number): void {
    const f = this.flags[id]!;
    if ((f & CONN_F_LIVE) === 0) return;
    if (f & CONN_F_HASHED) this.unhashIn(id);
    if (f & CONN_F_HASHED_OUT) this.unhashOut(id);
    this.embryonic.unlink(id);
    this.flags[id] = 0;
    this.dest[id] = null;
    this.svc[id] = null;
    this.freeNext[id] = this.freeHead;
    this.freeHead = id;
    this.count--;
  }

  /**
   * Rebuild the free list and the count from the LIVE flags (after restoreConns has cleared the
   * entries it does not keep): free slots in ascending order, so the lowest is handed out first.
   */
  rebuildFreeList(): void {
    let head = -1;
    let n = 0;
    for (let id = this.capacity - 1; id >= 0; id--) {
      if ((this.flags[id]! & CONN_F_LIVE) !== 0) {
        this.freeNext[id] = -1;
        n++;
      } else {
        this.freeNext[id] = head;
        head = id;
      }
    }
    this.freeHead = head;
    this.count = n;
  }

  isLive(id: number): boolean {
    return (this.flags[id]! & CONN_F_LIVE) !== 0;
  }

  /** ip_vs_conn_hash: link into the IN index by its current fields, at the chain head. */
  hashIn(id: number): void {
    const tpl = (this.flags[id]! & CONN_F_TEMPLATE) !== 0 ? KEY_TPL : 0;
    this.inIndex.insert(
      id,
      this.caddr[id]!,
      this.vaddr[id]!,
      (this.cport[id]! << 16) | this.vport[id]!,
      this.protocol[id]! | tpl,
    );
    this.flags[id] = this.flags[id]! | CONN_F_HASHED;
  }

  hashOut(id: number): void {
    this.outIndex.insert(
      id,
      this.daddr[id]!,
      this.laddr[id]!,
      (this.dport[id]! << 16) | this.lport[id]!,
      this.protocol[id]!,
    );
    this.flags[id] = this.flags[id]! | CONN_F_HASHED_OUT;
  }

  /** ip_vs_conn_unhash (by the key it was hashed with, even if the fields changed since). */
  unhashIn(id: number): void {
    this.inIndex.remove(id);
    this.flags[id] = this.flags[id]! & ~CONN_F_HASHED;
  }

  unhashOut(id: number): void {
    this.outIndex.remove(id);
    this.flags[id] = this.flags[id]! & ~CONN_F_HASHED_OUT;
  }

  /**
   * __ip_vs_conn_in_get: the connection a client -> director packet belongs to, or -1.
   * Arguments are the packet's <proto, saddr, sport, daddr, dport>. Templates never match.
   */
  lookupIn(proto: number, caddr: number, cport: number, vaddr: number, vport: number): number {
    return this.inIndex.find(caddr, vaddr, (cport << 16) | vport, proto);
  }

  /**
   * ip_vs_conn_out_get: the connection a real server -> director packet belongs to, or -1.
   * Arguments are the packet's <proto, saddr, sport, daddr, dport> = <proto, daddr, dport, laddr, lport>.
   */
  lookupOut(proto: number, daddr: number, dport: number, laddr: number, lport: number): number {
    return this.outIndex.find(daddr, laddr, (dport << 16) | lport, proto);
  }

  /**
   * ip_vs_ct_in_get: a persistence template <proto, caddr, 0, vaddr, vport>, or -1
   * (proto 0 and vaddr = fwmark for fwmark services; vport 0 for port-zero services).
   */
  lookupTemplate(proto: number, caddr: number, vaddr: number, vport: number): number {
    return this.inIndex.find(caddr, vaddr, vport, proto | KEY_TPL);
  }

  /** The next entry after `id` with the same IN key (fold collisions, conn-table6.ts), or -1. */
  nextSameIn(id: number): number {
    return this.inIndex.nextSameKey(id);
  }

  /** The next entry after `id` with the same OUT key, or -1. */
  nextSameOut(id: number): number {
    return this.outIndex.nextSameKey(id);
  }

  /** Buckets of the IN index (ip_vs_conn_tab_size), for ip_vs_random_dropentry's scan. */
  get inBuckets(): number {
    return this.inIndex.buckets;
  }

  /** First id in IN bucket b (newest first), or -1. */
  inBucketFirst(b: number): number {
    return this.inIndex.first(b);
  }

  /** The id after `id` in its IN chain, or -1. */
  inBucketNext(id: number): number {
    return this.inIndex.after(id);
  }

  /** Length of the longest IN chain (diagnostics, benches). */
  maxChainIn(): number {
    return this.inIndex.maxChain();
  }
}
