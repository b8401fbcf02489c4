// NeighTable: the director's own ARP cache (what net/core/neighbour.c + net/ipv4/arp.c do for the
// kernel): next-hop MACs, a bounded queue of frames waiting for resolution, retries and expiry.
//
// Entries live in fixed slots (MACs in one Uint8Array); ip -> slot is an lru-cache (bounded; the
// least recently used entry is evicted when the table is full). Per packet the pipeline calls
// lookup(), which reads the cache with one preallocated options object (no allocation).
//
// Frames waiting for an address are held in a NeighQueue (neigh-queue.ts) and released when the
// address resolves (sent), fails (dropped) or expires.

import { LRUCache } from 'lru-cache';
import { NeighQueue } from './neigh-queue.ts';
import {
  GC_STALE_MS,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_REACHABLE,
  NUD_STALE,
  type NeighOptions,
  type NeighSink,
} from './neigh-state.ts';

const PEEK = { allowStale: true };

export class NeighTable {
  readonly macs: Uint8Array;
  private readonly ip: Uint32Array;
  private readonly state: Uint8Array;
  private readonly port: Int16Array;
  private readonly confirmedMs: Float64Array;
  private readonly probeMs: Float64Array;
  private readonly probes: Uint8Array;
  /** Set by lookup() on a STALE entry: a restored entry is re-confirmed once a packet uses it. */
  private readonly used: Uint8Array;
  private readonly pending: NeighQueue;
  private readonly freeSlots: number[];
  private readonly cache: LRUCache<number, number>;
  /**
   * Told of every entry learned from an ARP frame, so that other data-path threads learn it too:
   * with several workers every ARP frame reaches worker 0 (src/io/fanout-program.ts), whose
   * table relays what it learns through the main thread (src/daemon/engine-workers.ts).
   */
  onLearn: ((ip: number, port: number, mac: Uint8Array, macOff: number) => void) | null;
  /** Bumped whenever an entry is learnt or forgotten: a snapshot is due only when it moved. */
  version: number;
  private readonly reachableMs: number;
  private readonly retransMs: number;
  private readonly maxProbes: number;
  private readonly failedHoldMs: number;

  constructor(
    private readonly sink: NeighSink,
    opts: NeighOptions = {},
  ) {
    const slots = opts.slots ?? 4096;
    this.reachableMs = opts.reachableMs ?? 30_000;
    this.retransMs = opts.retransMs ?? 1_000;
    this.maxProbes = opts.maxProbes ?? 3;
    this.failedHoldMs = opts.failedHoldMs ?? 1_000;
    // The kernel keeps ~101 frames per unresolved neighbour (unres_qlen_bytes); 8 dropped SYNs of a
    // 50-connection cold start in bench/compare. The shared pool (PENDING_SLOTS) stays the bound.
    this.pending = new NeighQueue(sink, slots, opts.pendingPerEntry ?? 64);
    this.macs = new Uint8Array(slots * 6);
    this.ip = new Uint32Array(slots);
    this.state = new Uint8Array(slots);
    this.port = new Int16Array(slots);
    this.confirmedMs = new Float64Array(slots);
    this.probeMs = new Float64Array(slots);
    this.probes = new Uint8Array(slots);
    this.used = new Uint8Array(slots);
    this.freeSlots = [];
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(i);
    this.cache = new LRUCache<number, number>({
      max: slots,
      dispose: (slot) => this.release(slot),
    });
    this.onLearn = null;
    this.version = 0;
  }

  /** Slot with a usable MAC for ip (REACHABLE or STALE), or -1. Per-packet: no allocation. */
  lookup(ip: number): number {
    const slot = this.cache.peek(ip | 0, PEEK);
    if (slot === undefined) return -1;
    const st = this.state[slot];
    if (st === NUD_REACHABLE) return slot;
    if (st !== NUD_STALE) return -1;
    this.used[slot] = 1;
    return slot;
  }

  /** Copy the MAC of slot into buf at off. */
  writeMac(slot: number, buf: Uint8Array, off: number): void {
    const m = slot * 6;
    const macs = this.macs;
    buf[off] = macs[m]!;
    buf[off + 1] = macs[m + 1]!;
    buf[off + 2] = macs[m + 2]!;
    buf[off + 3] = macs[m + 3]!;
    buf[off + 4] = macs[m + 4]!;
    buf[off + 5] = macs[m + 5]!;
  }

  /**
   * Hold a frame until ip resolves (its dst MAC at frame offset 0 is filled in then), starting
   * resolution if needed. Returns false (and counts nothing) when it cannot be held.
   */
  enqueue(ip: number, port: number, buf: Buffer, off: number, len: number, flags: number, nowMs: number): boolean {
    let slot = this.cache.get(ip | 0);
    if (slot === undefined) {
      slot = this.newSlot(ip, port);
      this.state[slot] = NUD_INCOMPLETE;
      this.probes[slot] = 1;
      this.probeMs[slot] = nowMs;
      this.sink.arpRequest(port, ip);
    } else if (this.state[slot] === NUD_FAILED) {
      return false;
    }
    return this.pending.hold(slot, port, buf, off, len, flags);
  }

  /** Learn ip -> mac (from an ARP reply or request); sends the frames that were waiting. */
  learn(ip: number, port: number, mac: Uint8Array, macOff: number, nowMs: number): void {
    let slot = this.cache.get(ip | 0);
    if (slot === undefined) slot = this.newSlot(ip, port);
    const m = slot * 6;
    for (let i = 0; i < 6; i++) this.macs[m + i] = mac[macOff + i]!;
    this.state[slot] = NUD_REACHABLE;
    this.port[slot] = port;
    this.confirmedMs[slot] = nowMs;
    this.probes[slot] = 0;
    this.pending.flush(slot, true, this.macs, slot * 6);
    this.version++;
    this.onLearn?.(ip, port, mac, macOff);
  }

  /**
   * Put back an entry a previous process had resolved (src/daemon/neigh-snapshot.ts), as STALE:
   * its MAC is used at once, as the kernel uses a STALE entry (neigh_resolve_output() sends and
   * only then starts re-confirming), and it is probed once a packet has used it (tick()). An
   * entry no packet uses goes after GC_STALE_MS. An address already known is left as it is.
   */
  restoreStale(ip: number, port: number, mac: Uint8Array, macOff: number, nowMs: number): void {
    if (this.cache.has(ip | 0)) return;
    const slot = this.newSlot(ip, port);
    const m = slot * 6;
    for (let i = 0; i < 6; i++) this.macs[m + i] = mac[macOff + i]!;
    this.state[slot] = NUD_STALE;
    this.probes[slot] = 0;
    this.probeMs[slot] = nowMs;
    this.used[slot] = 0;
    this.version++;
  }

  /** Whether ip already has an entry (used to learn only from ARP we asked for or that targets us). */
  has(ip: number): boolean {
    return this.cache.has(ip | 0);
  }

  /** Retries, failures and ageing; call a few times per second. */
  tick(nowMs: number): void {
    for (const [ip, slot] of this.cache.entries()) {
      const st = this.state[slot];
      if (st === NUD_INCOMPLETE) {
        if (nowMs - this.probeMs[slot]! < this.retransMs) continue;
        if (this.probes[slot]! >= this.maxProbes) {
          this.state[slot] = NUD_FAILED;
          this.probeMs[slot] = nowMs;
          this.pending.flush(slot, false, this.macs, slot * 6);
        } else {
          this.probes[slot] = this.probes[slot]! + 1;
          this.probeMs[slot] = nowMs;
          this.sink.arpRequest(this.port[slot]!, ip >>> 0);
        }
      } else if (st === NUD_FAILED) {
        if (nowMs - this.probeMs[slot]! >= this.failedHoldMs) this.cache.delete(ip);
      } else if (st === NUD_REACHABLE && nowMs - this.confirmedMs[slot]! >= this.reachableMs) {
        // Keep using the MAC (STALE) and re-probe; a reply makes it REACHABLE again.
        this.state[slot] = NUD_STALE;
        this.probes[slot] = 1;
        this.probeMs[slot] = nowMs;
        this.sink.arpRequest(this.port[slot]!, ip >>> 0);
      } else if (st === NUD_STALE && this.probes[slot] === 0) {
        // Restored and not probed yet: re-confirmed once used, forgotten when never used.
        if (this.used[slot] === 1) {
          this.probes[slot] = 1;
          this.probeMs[slot] = nowMs;
          this.sink.arpRequest(this.port[slot]!, ip >>> 0);
        } else if (nowMs - this.probeMs[slot]! >= GC_STALE_MS) this.cache.delete(ip);
      } else if (st === NUD_STALE && nowMs - this.probeMs[slot]! >= this.retransMs) {
        if (this.probes[slot]! >= this.maxProbes) this.cache.delete(ip);
        else {
          this.probes[slot] = this.probes[slot]! + 1;
          this.probeMs[slot] = nowMs;
          this.sink.arpRequest(this.port[slot]!, ip >>> 0);
        }
      }
    }
  }

  /** Forget every entry on port, its held frames dropped: its interface went away (neigh_ifdown). */
  forgetPort(port: number): void {
    for (const [ip, slot] of [...this.cache.entries()]) if (this.port[slot] === port) this.cache.delete(ip);
  }

  /** Entries for display: ip, mac text, state. */
  list(): { ip: number; mac: string; state: number; port: number }[] {
    const out: { ip: number; mac: string; state: number; port: number }[] = [];
    for (const [ip, slot] of this.cache.entries()) {
      const m = Buffer.from(this.macs.subarray(slot * 6, slot * 6 + 6));
      out.push({
        ip: ip >>> 0,
        mac: [...m].map((b) => b.toString(16).padStart(2, '0')).join(':'),
        state: this.state[slot]!,
        port: this.port[slot]!,
      });
    }
    return out;
  }

  private newSlot(ip: number, port: number): number {
    if (this.freeSlots.length === 0) {
      // Full: evicting through the cache's own LRU order frees a slot via dispose.
      const oldest = this.cache.rkeys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    const slot = this.freeSlots.pop()!;
    this.ip[slot] = ip >>> 0;
    this.port[slot] = port;
    this.state[slot] = NUD_INCOMPLETE;
    this.pending.reset(slot);
    this.used[slot] = 0;
    this.cache.set(ip | 0, slot);
    return slot;
  }

  private release(slot: number): void {
    this.pending.flush(slot, false, this.macs, slot * 6);
    this.state[slot] = 0;
    this.freeSlots.push(slot);
    this.version++;
  }
}
