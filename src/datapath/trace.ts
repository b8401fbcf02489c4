// TraceRing: a preallocated ring of packet rewrite events for `lab trace` / `tsvsadm --trace`.
// Recording writes numbers into typed arrays (no allocation), and only while tracing is on; the
// control plane reads events after a cursor and turns them into text (format-trace.ts).
//
//   seq:   0   1   2   3   4   5   6   7        capacity 8 (a power of two), slot = seq & 7
//        [e0][e1][e2][e3][e4][e5][e6][e7]
//                      ^ next write          a reader at cursor c gets seq c .. next-1, or
//                                            loses the oldest when it fell more than 8 behind

export const TR_IN = 1; // client -> director, rewritten toward the real server
export const TR_OUT = 2; // real server -> director, rewritten toward the client
export const TR_LOCAL = 3; // answered by the director itself (ARP, ICMP echo)
export const TR_DROP = 4;

export const TR_F_NEW = 1; // this packet created the connection
export const TR_F_FULLNAT = 2;

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
}

const FIELDS = 16;

export class TraceRing {
  enabled = false;
  private next = 0;
  private readonly mask: number;
  private readonly n: Float64Array;

  constructor(capacityPow2 = 4096) {
    if ((capacityPow2 & (capacityPow2 - 1)) !== 0) throw new RangeError('trace capacity must be a power of two');
    this.mask = capacityPow2 - 1;
    this.n = new Float64Array(capacityPow2 * FIELDS);
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

  /** Events with seq >= cursor still in the ring (control plane; allocates). */
  readSince(cursor: number, max = 1000): TraceEvent[] {
    const first = Math.max(cursor, this.next - this.mask - 1, 0);
    const out: TraceEvent[] = [];
    for (let s = first; s < this.next && out.length < max; s++) {
      const b = (s & this.mask) * FIELDS;
      const n = this.n;
      out.push({
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
      });
    }
    return out;
  }
}
