// The embryonic quota: TCP connections that have not reached ESTABLISHED since their SYN (states
// NONE, SYN_SENT, SYN_RECV, SYNACK; TCP_STATE_EMBRYONIC) kept in one list, oldest first, and
// bounded, so that a SYN flood can never take the part of the table that established connections
// need. Kernel IPVS has no such bound (a flood fills ip_vs_conn_tab until memory runs low and the
// defence strategies of ip_vs_ctl.c engage); this is tsvs's own, in the spirit of the BSD SYN
// cache (FreeBSD tcp_syncache.c syncache_insert: a full cache drops its oldest entry).
//
//   head (oldest) <-> id <-> id <-> ... <-> tail (newest)     prev[]/next[] by conn id, O(1) unlink
//
// Rule (connNew, conn-new.ts): a new TCP connection that would make the list longer than `quota`
// first deletes the oldest embryonic entry (ip_vs_conn_del). The table then always keeps
// capacity - quota entries for connections that got past the handshake: embryonic entries never
// push out established ones, and a full table still refuses new flows (conn_table_full).
// Under a flood of R SYNs/s an embryonic entry lives about quota / R seconds, far longer than a
// real client's handshake round trip, so a real client's SYN always finds room and its
// connection completes; a flood's entries are recycled instead of waiting out SYN_RECV's 60 s.
// Off (quota 0): no arrays, nothing tracked, the table behaves exactly as without it.

import type { Service } from '../model/service.ts';

/** prev[id] of an id that is not in the list. */
const NOT_LINKED = -2;

export class EmbryonicList {
  /** Maximum embryonic entries; 0 = off. */
  readonly quota: number;
  readonly enabled: boolean;
  /** Entries in the list. */
  count: number;
  /** Oldest and newest ids, -1 when empty. */
  head: number;
  tail: number;
  /** Embryonic entries deleted to make room for a new SYN. */
  recycled: number;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;

  /** The table's svc column: each entry's service counts its own embryonic entries (Service.embryonic). */
  private readonly svcOf: readonly (Service | null)[];

  constructor(capacity: number, quota: number, svcOf: readonly (Service | null)[] = []) {
    this.svcOf = svcOf;
    if (!Number.isInteger(quota) || quota < 0 || quota > capacity) {
      throw new RangeError(`bad embryonic quota ${quota} (0..${capacity})`);
    }
    this.quota = quota;
    this.enabled = quota > 0;
    this.count = 0;
    this.head = -1;
    this.tail = -1;
    this.recycled = 0;
    const n = this.enabled ? capacity : 0;
    this.prev = new Int32Array(n).fill(NOT_LINKED);
    this.next = new Int32Array(n).fill(-1);
  }

  isLinked(id: number): boolean {
    return this.enabled && this.prev[id] !== NOT_LINKED;
  }

  /** Append id as the newest entry (no-op if linked already or off). */
  link(id: number): void {
    if (!this.enabled || this.prev[id] !== NOT_LINKED) return;
    const tail = this.tail;
    this.prev[id] = tail;
    this.next[id] = -1;
    if (tail >= 0) this.next[tail] = id;
    else this.head = id;
    this.tail = id;
    this.count++;
    const svc = this.svcOf[id];
    if (svc) svc.embryonic++;
  }

  /** Remove id (no-op if not linked). */
  unlink(id: number): void {
    if (!this.enabled) return;
    const p = this.prev[id]!;
    if (p === NOT_LINKED) return;
    const n = this.next[id]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.prev[id] = NOT_LINKED;
    this.next[id] = -1;
    this.count--;
    const svc = this.svcOf[id];
    if (svc) svc.embryonic--;
  }

  /** True when one more embryonic entry would exceed the quota. */
  full(): boolean {
    return this.enabled && this.count >= this.quota;
  }
}
