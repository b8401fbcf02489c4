// drop_entry's scan: ip_vs_random_dropentry and todrop_entry (ip_vs_conn.c). Once a second while
// the defence engages it (defense.ts), 1/32 of the IN index's buckets, picked at random, are
// walked and the entries that look like flood debris are deleted (ip_vs_conn_del).

import { Mulberry32 } from '../lib/rng.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { SVC_F_ONEPACKET } from '../model/service.ts';
import { CONN_F_TEMPLATE, CTPL_S_ASSURED } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import type { ConnExpiry } from './expiry.ts';
import { TCP_S_ESTABLISHED, TCP_S_SYN_RECV, TCP_S_SYNACK } from './proto-tcp.ts';

/** todrop_entry: an entry re-armed less than 60 s ago is never dropped. */
const TODROP_MIN_IDLE_MS = 60_000;

export class RandomDropEntry {
  /** Entries deleted, and entries looked at (each visit counts). */
  dropped: number;
  scanned: number;
  /** todrop_entry's static todrop_counter[9] (todrop_rate[i] = i), starting at 0. */
  private readonly todropCounter = new Int32Array(9);
  /** Stand-in for prandom_u32 / get_random_u32: seeded, so a test can replay a scan. */
  private readonly rng: Mulberry32;

  constructor(
    private readonly t: ConnTable,
    private readonly expiry: ConnExpiry,
    seed: number,
  ) {
    this.dropped = 0;
    this.scanned = 0;
    this.rng = new Mulberry32(seed);
  }

  /**
   * ip_vs_random_dropentry: visit (buckets >> 5) random IN buckets, 1/32 of the table a second
   * ("Randomly scan 1/32 of the whole table every second"), deleting as shouldDrop says.
   */
  run(nowMs: number): void {
    const t = this.t;
    const mask = t.inBuckets - 1;
    const n = t.inBuckets >> 5;
    for (let idx = 0; idx < n; idx++) {
      let id = t.inBucketFirst(this.rng.nextU32() & mask);
      while (id >= 0) {
        const nx = t.inBucketNext(id);
        this.scanned++;
        if (this.shouldDrop(id, nowMs) && this.expiry.deleteConn(id, nowMs)) {
          this.dropped++;
          // Deleting may free the controlling template too; a freed id ends this chain's walk.
          if (nx >= 0 && !t.isLive(nx)) break;
        }
        id = nx;
      }
    }
  }

  /**
   * The per-entry test: skip an entry that controls others; a template of a one-packet service
   * (ip_vs_conn_ops_mode) goes by todrop_entry, another template only when not ASSURED; TCP
   * SYN_RECV and SYNACK always go, ESTABLISHED by todrop_entry, other states stay; other
   * protocols go by todrop_entry.
   */
  private shouldDrop(id: number, nowMs: number): boolean {
    const t = this.t;
    if (t.nControl[id]! > 0) return false;
    if (t.flags[id]! & CONN_F_TEMPLATE) {
      const svc = t.svc[id];
      if (t.dest[id] != null && svc != null && (svc.flags & SVC_F_ONEPACKET) !== 0) return this.todropEntry(id, nowMs);
      return (t.state[id]! & CTPL_S_ASSURED) === 0;
    }
    if (t.protocol[id] === IPPROTO_TCP) {
      const s = t.state[id]!;
      if (s === TCP_S_SYN_RECV || s === TCP_S_SYNACK) return true;
      if (s === TCP_S_ESTABLISHED) return this.todropEntry(id, nowMs);
      return false;
    }
    return this.todropEntry(id, nowMs);
  }

  /**
   * todrop_entry: keep entries re-armed within the last 60 s (cp->timeout + now <
   * timer.expires + 60 s) and those with in_pkts outside 1..8; of the rest, drop every i-th one
   * with in_pkts = i (one counter per i, shared by the whole table, starting at 0: the first
   * candidate of each count goes).
   */
  private todropEntry(id: number, nowMs: number): boolean {
    const t = this.t;
    if (!this.expiry.wheel.isArmed(id)) return false;
    if (t.timeoutMs[id]! + nowMs < this.expiry.wheel.expiresMs[id]! + TODROP_MIN_IDLE_MS) return false;
    const i = t.inPkts[id]!;
    if (i > 8 || i === 0) return false; // todrop_rate[0] = 0
    if (--this.todropCounter[i]! > 0) return false;
    this.todropCounter[i] = i;
    return true;
  }
}
