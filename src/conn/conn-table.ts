// ConnTable: the fixed-capacity connection table, ip_vs_conn_tab of ip_vs_conn.c: the columns of
// every entry (ConnColumns, conn-columns.ts) with IN and OUT hash indexes and a free list.
//
// Two ConnIndex instances find an id from a packet: IN by <proto, caddr, cport, vaddr, vport>
// (client -> director, and templates), OUT by <proto, daddr, dport, laddr, lport> (real server
// -> director; laddr/lport = caddr/cport in classic NAT). Free slots form a LIFO list.
//
// The indexes, the free list and the embryonic list are rebuilt from the columns by restoreConns
// (conn-restore.ts) after a restart.

import { CONN_F_HASHED, CONN_F_HASHED_OUT, CONN_F_LIVE, CONN_F_TEMPLATE } from './conn-flags.ts';
import { ConnIndex } from './conn-index.ts';
import { EmbryonicList } from './embryonic-list.ts';
import { ConnColumns } from './conn-columns.ts';
import type { ConnColumn } from './conn-layout.ts';

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
  /** Columns in this memory, laid out by connLayout(capacity, columns) (a mapped state file); default: heap. */
  memory?: ArrayBuffer;
  /** The file's column list when it is not CONN_COLUMNS (the IPv6 table's, conn-layout6.ts). */
  columns?: readonly ConnColumn[];
}

export class ConnTable extends ConnColumns {
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
    super(cap, opts.memory ?? null, opts.columns);
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
