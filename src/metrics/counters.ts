// counters: IPVS statistics counters (struct ip_vs_kstats in include/net/ip_vs.h: conns, inpkts,
// outpkts, inbytes, outbytes) in a Float64Array (doubles hold integers exactly up to 2^53, i.e.
// 8 PiB of bytes), and the zero point that `ipvsadm -Z` moves (ip_vs_zero_stats in ip_vs_ctl.c
// keeps the counters and records kstats0; readers see kstats - kstats0).

/** Anything with the five counters: model Dest and Service, or a Counters block. */
export interface StatsSource {
  readonly conns: number;
  readonly inPkts: number;
  readonly outPkts: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

/** Plain values, e.g. for ipvsadm --stats or the metrics provider. */
export interface StatsValues {
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export const STAT_CONNS = 0;
export const STAT_INPKTS = 1;
export const STAT_OUTPKTS = 2;
export const STAT_INBYTES = 3;
export const STAT_OUTBYTES = 4;
export const STAT_FIELDS = 5;

/** Copy a source's counters into v[0..4] in STAT_* order. */
export function loadStats(src: StatsSource, v: Float64Array): void {
  v[STAT_CONNS] = src.conns;
  v[STAT_INPKTS] = src.inPkts;
  v[STAT_OUTPKTS] = src.outPkts;
  v[STAT_INBYTES] = src.inBytes;
  v[STAT_OUTBYTES] = src.outBytes;
}

/**
 * One block of counters that the data plane bumps without allocating (ip_vs_in_stats /
 * ip_vs_out_stats / ip_vs_conn_stats in ip_vs_core.c).
 */
export class Counters implements StatsSource {
  readonly v = new Float64Array(STAT_FIELDS);

  get conns(): number {
    return this.v[STAT_CONNS] ?? 0;
  }
  get inPkts(): number {
    return this.v[STAT_INPKTS] ?? 0;
  }
  get outPkts(): number {
    return this.v[STAT_OUTPKTS] ?? 0;
  }
  get inBytes(): number {
    return this.v[STAT_INBYTES] ?? 0;
  }
  get outBytes(): number {
    return this.v[STAT_OUTBYTES] ?? 0;
  }

  /** A packet client -> real server ("in"). */
  countIn(lenBytes: number): void {
    const v = this.v;
    v[STAT_INPKTS] = (v[STAT_INPKTS] ?? 0) + 1;
    v[STAT_INBYTES] = (v[STAT_INBYTES] ?? 0) + lenBytes;
  }

  /** A packet real server -> client ("out"). */
  countOut(lenBytes: number): void {
    const v = this.v;
    v[STAT_OUTPKTS] = (v[STAT_OUTPKTS] ?? 0) + 1;
    v[STAT_OUTBYTES] = (v[STAT_OUTBYTES] ?? 0) + lenBytes;
  }

  /** A connection scheduled. */
  countConn(): void {
    this.v[STAT_CONNS] = (this.v[STAT_CONNS] ?? 0) + 1;
  }
}

/**
 * The -Z zero point of one stats object: zero() records the current counters (kstats0 = kstats),
 * read() returns counters minus that point (ip_vs_copy_stats: dst->c = kstats.c - kstats0.c).
 */
export class StatsZero {
  readonly zeroV = new Float64Array(STAT_FIELDS);
  private readonly cur = new Float64Array(STAT_FIELDS);

  zero(src: StatsSource): void {
    loadStats(src, this.zeroV);
  }

  read(src: StatsSource, out: StatsValues): StatsValues {
    const c = this.cur;
    const z = this.zeroV;
    loadStats(src, c);
    out.conns = (c[STAT_CONNS] ?? 0) - (z[STAT_CONNS] ?? 0);
    out.inPkts = (c[STAT_INPKTS] ?? 0) - (z[STAT_INPKTS] ?? 0);
    out.outPkts = (c[STAT_OUTPKTS] ?? 0) - (z[STAT_OUTPKTS] ?? 0);
    out.inBytes = (c[STAT_INBYTES] ?? 0) - (z[STAT_INBYTES] ?? 0);
    out.outBytes = (c[STAT_OUTBYTES] ?? 0) - (z[STAT_OUTBYTES] ?? 0);
    return out;
  }
}

export function emptyStats(): StatsValues {
  return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
}
