// TraceRing: a preallocated ring of packet rewrite events for `lab trace` / `tsvsadm --trace`.
// Recording writes numbers into typed arrays (no allocation), and only while tracing is on; the
// control plane reads events after a cursor and turns them into text (format-trace.ts). An IPv6
// event (TR_F_IPV6) keeps its five addresses as words in a side array (addr6), the IPv4 fields 0.
//
//   seq:   0   1   2   3   4   5   6   7        capacity 8 (a power of two), slot = seq & 7
//        [e0][e1][e2][e3][e4][e5][e6][e7]
//                      ^ next write          a reader at cursor c gets seq c .. next-1, or
//                                            loses the oldest when it fell more than 8 behind

import { formatInet6 } from '../lib/inet6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

export const TR_IN = 1; // client -> director, rewritten toward the real server
export const TR_OUT = 2; // real server -> director, rewritten toward the client
export const TR_LOCAL = 3; // answered by the director itself (ARP, ICMP echo)
export const TR_DROP = 4;

export const TR_F_NEW = 1; // this packet created the connection
export const TR_F_FULLNAT = 2;
export const TR_F_IPV6 = 4;

/** addr6's `which`: the addresses of an IPv6 event, in the order of the IPv4 fields. */
export const TR_A6_SADDR = 0;
export const TR_A6_DADDR = 1;
export const TR_A6_NSADDR = 2;
export const TR_A6_NDADDR = 3;
export const TR_A6_DEST = 4;

/** An IPv6 event's addresses as inet_ntop prints them (TR_F_IPV6 events only). */
export interface TraceAddrs6 {
  saddr: string;
  daddr: string;
  nsaddr: string;
  ndaddr: string;
  destAddr: string;
}

export interface TraceEvent {
  seq: number;
  timeMs: number;
  kind: number;
  flags: number;
  protocol: number;
  tcpFlags: number;
  /** Before the rewrite. */
  saddr: number;
  sport: number;
  daddr: number;
  dport: number;
  /** After the rewrite (equal to before for LOCAL/DROP). */
  nsaddr: number;
  nsport: number;
  ndaddr: number;
  ndport: number;
  /** Drop reason (TR_DROP), or the state index after the packet (TCP). */
  detail: number;
  /** Real server chosen, as "addr:port" index into the caller's dest list; -1 when none. */
  destAddr: number;
  destPort: number;
  /** The addresses of an IPv6 event (flags & TR_F_IPV6); the IPv4 address fields are 0 then. */
  addr6?: TraceAddrs6;
}

const FIELDS = 16;
const A6_WORDS = 20; // five addresses of four words

export class TraceRing {
  enabled = false;
  private next = 0;
  private readonly mask: number;
  private readonly n: Float64Array;
  private readonly a6: Uint32Array;

  constructor(capacityPow2 = 4096) {
    if ((capacityPow2 & (capacityPow2 - 1)) !== 0) throw new RangeError('trace capacity must be a power of two');
    this.mask = capacityPow2 - 1;
    this.n = new Float64Array(capacityPow2 * FIELDS);
    this.a6 = new Uint32Array(capacityPow2 * A6_WORDS);
  }

  get head(): number {
    return this.next;
  }

  record(
    timeMs: number,
    kind: number,
    flags: number,
    protocol: number,
    tcpFlags: number,
    saddr: number,
    sport: number,
    daddr: number,
    dport: number,
    nsaddr: number,
    nsport: number,
    ndaddr: number,
    ndport: number,
    detail: number,
    destAddr: number,
    destPort: number,
  ): void {
    const b = (this.next & this.mask) * FIELDS;
    const n = this.n;
    n[b] = timeMs;
    n[b + 1] = kind;
    n[b + 2] = flags;
    n[b + 3] = protocol;
    n[b + 4] = tcpFlags;
    n[b + 5] = saddr;
    n[b + 6] = sport;
    n[b + 7] = daddr;
    n[b + 8] = dport;
    n[b + 9] = nsaddr;
    n[b + 10] = nsport;
    n[b + 11] = ndaddr;
    n[b + 12] = ndport;
    n[b + 13] = detail;
    n[b + 14] = destAddr;
    n[b + 15] = destPort;
    this.next++;
  }

  /**
   * A rewritten IPv4 packet (TR_IN, TR_OUT): before = the endpoints given (as it came), after =
   * the parsed frame's now; detail = the connection's state, dest = its real server.
   */
  rewrite4(
    nowMs: number,
    kind: number,
    flags: number,
    f: ParsedFrame,
    saddr: number,
    sport: number,
    daddr: number,
    dport: number,
    detail: number,
    destAddr: number,
    destPort: number,
  ): void {
    const p = f.protocol;
    const fl = f.tcpFlags;
    this.record(
      nowMs,
      kind,
      flags,
      p,
      fl,
      saddr,
      sport,
      daddr,
      dport,
      f.saddr,
      f.sport,
      f.daddr,
      f.dport,
      detail,
      destAddr,
      destPort,
    );
  }

  /** An IPv4 packet dropped for `reason`, recorded while tracing is on; returns the reason. */
  drop4(nowMs: number, f: ParsedFrame, reason: number): number {
    if (this.enabled) {
      const s = f.saddr;
      const d = f.daddr;
      this.record(
        nowMs,
        TR_DROP,
        0,
        f.protocol,
        f.tcpFlags,
        s,
        f.sport,
        d,
        f.dport,
        s,
        f.sport,
        d,
        f.dport,
        reason,
        0,
        0,
      );
    }
    return reason;
  }

  /** Set address `which` (TR_A6_*) of the event recorded last to a[at .. at + 3]. */
  addr6(which: number, a: Uint32Array, at: number): void {
    const b = ((this.next - 1) & this.mask) * A6_WORDS + which * 4;
    const w = this.a6;
    w[b] = a[at]!;
    w[b + 1] = a[at + 1]!;
    w[b + 2] = a[at + 2]!;
    w[b + 3] = a[at + 3]!;
  }

  /** Events with seq >= cursor still in the ring (control plane; allocates). */
  readSince(cursor: number, max = 1000): TraceEvent[] {
    const first = Math.max(cursor, this.next - this.mask - 1, 0);
    const out: TraceEvent[] = [];
    for (let s = first; s < this.next && out.length < max; s++) {
      const b = (s & this.mask) * FIELDS;
      const n = this.n;
      const e: TraceEvent = {
        seq: s,
        timeMs: n[b]!,
        kind: n[b + 1]!,
        flags: n[b + 2]!,
        protocol: n[b + 3]!,
        tcpFlags: n[b + 4]!,
        saddr: n[b + 5]!,
        sport: n[b + 6]!,
        daddr: n[b + 7]!,
        dport: n[b + 8]!,
        nsaddr: n[b + 9]!,
        nsport: n[b + 10]!,
        ndaddr: n[b + 11]!,
        ndport: n[b + 12]!,
        detail: n[b + 13]!,
        destAddr: n[b + 14]!,
        destPort: n[b + 15]!,
      };
      if ((e.flags & TR_F_IPV6) !== 0) e.addr6 = this.readAddrs6(s);
      out.push(e);
    }
    return out;
  }

  private readAddrs6(seq: number): TraceAddrs6 {
    const b = (seq & this.mask) * A6_WORDS;
    const at = (which: number) => formatInet6(this.a6.subarray(b + which * 4, b + which * 4 + 4));
    return {
      saddr: at(TR_A6_SADDR),
      daddr: at(TR_A6_DADDR),
      nsaddr: at(TR_A6_NSADDR),
      ndaddr: at(TR_A6_NDADDR),
      destAddr: at(TR_A6_DEST),
    };
  }
}
