// The destination-address table of the locality schedulers and its garbage collection, mirroring
// struct ip_vs_lblc_table / ip_vs_lblcr_table and their timers in net/netfilter/ipvs/ip_vs_lblc.c
// and ip_vs_lblcr.c (the two files share this code nearly line for line).
//
// 1024 hash buckets (CONFIG_IP_VS_LBLC[R]_TAB_BITS 10) chained by hash_32(ntohl(daddr), 10).
// The kernel's periodic timer (CHECK_EXPIRE_INTERVAL, 60 s) runs check_expire:
// - every COUNT_FOR_FULL_EXPIRATION (30) quiet rounds, a full check drops entries unused for
//   the sysctl lblc[r]_expiration (24 h by default);
// - otherwise, while there are more than max_size (16 * 1024) entries, drop entries unused for
//   ENTRY_TIMEOUT (6 min), bucket by bucket from the rover, until (entries - max_size) * 4 / 3
//   (at most max_size / 2) are gone.
// We have no timers: tick(nowMs) runs the rounds that fell due, on the first clock it sees + 60 s
// and every 60 s after (at most MAX_CATCHUP_ROUNDS at once, see tick). Entries are pooled by
// the owner, so a steady table does not allocate.

export const LOCALITY_TAB_BITS = 10;
export const LOCALITY_TAB_SIZE = 1 << LOCALITY_TAB_BITS;
const LOCALITY_TAB_MASK = LOCALITY_TAB_SIZE - 1;
export const CHECK_EXPIRE_INTERVAL_MS = 60 * 1000;
export const ENTRY_TIMEOUT_MS = 6 * 60 * 1000;
export const DEFAULT_EXPIRATION_MS = 24 * 60 * 60 * 1000;
export const COUNT_FOR_FULL_EXPIRATION = 30;
/** After an idle spell longer than this many rounds, the rest are skipped (two full checks ran). */
export const MAX_CATCHUP_ROUNDS = 2 * COUNT_FOR_FULL_EXPIRATION;

/** hash_32(val, bits) from include/linux/hash.h: (val * GOLDEN_RATIO_32) >> (32 - bits). */
export function hash32(val: number, bits: number): number {
  return Math.imul(val | 0, 0x61c88647) >>> (32 - bits);
}

export interface LocalityEntry {
  /** Destination address (host order). */
  addr: number;
  /** en->lastuse, in ms. */
  lastuseMs: number;
}

export class LocalityTable<E extends LocalityEntry> {
  readonly buckets: E[][];
  /** tbl->entries (counted like the kernel, see LblcScheduler for its one quirk). */
  entries: number;
  /** tbl->max_size = IP_VS_LBLC_TAB_SIZE * 16. */
  readonly maxSize: number;
  rover: number;
  counter: number;
  /** sysctl net.ipv4.vs.lblc_expiration / lblcr_expiration, in ms. */
  expirationMs: number;
  /** When the periodic timer fires next; NaN until the first clock reading. */
  nextCheckMs: number;
  private readonly free: (e: E) => void;

  /** free(e) is called for every entry dropped from the table (return it to a pool). */
  constructor(free: (e: E) => void) {
    this.buckets = [];
    for (let i = 0; i < LOCALITY_TAB_SIZE; i++) this.buckets.push([]);
    this.entries = 0;
    this.maxSize = LOCALITY_TAB_SIZE * 16;
    this.rover = 0;
    this.counter = 1;
    this.expirationMs = DEFAULT_EXPIRATION_MS;
    this.nextCheckMs = NaN;
    this.free = free;
  }

  /** ip_vs_lblc_get / ip_vs_lblcr_get. */
  get(addr: number): E | null {
    const b = this.buckets[hash32(addr, LOCALITY_TAB_BITS)]!;
    for (let i = 0; i < b.length; i++) {
      const e = b[i]!;
      if (e.addr === addr) return e;
    }
    return null;
  }

  /** ip_vs_lblc_hash / ip_vs_lblcr_hash: link e and count it. */
  add(e: E): void {
    this.buckets[hash32(e.addr, LOCALITY_TAB_BITS)]!.push(e);
    this.entries++;
  }

  /** Unlink e (hlist_del_rcu) and free it; does NOT touch `entries`, like ip_vs_lblc_del. */
  unlink(e: E): void {
    const b = this.buckets[hash32(e.addr, LOCALITY_TAB_BITS)]!;
    const i = b.indexOf(e);
    if (i < 0) return;
    const last = b.pop()!;
    if (i < b.length) b[i] = last;
    this.free(e);
  }

  /** ip_vs_lblc_flush (done_service). */
  flush(): void {
    for (const b of this.buckets) {
      for (const e of b) this.free(e);
      b.length = 0;
    }
    this.entries = 0;
    this.nextCheckMs = NaN;
  }

  /** Run the periodic timer rounds that are due at nowMs. */
  tick(nowMs: number): void {
    if (nowMs < this.nextCheckMs) return;
    if (Number.isNaN(this.nextCheckMs)) {
      this.nextCheckMs = nowMs + CHECK_EXPIRE_INTERVAL_MS;
      return;
    }
    for (let i = 0; i < MAX_CATCHUP_ROUNDS && nowMs >= this.nextCheckMs; i++) {
      this.checkExpire(this.nextCheckMs);
      this.nextCheckMs += CHECK_EXPIRE_INTERVAL_MS;
    }
    if (nowMs >= this.nextCheckMs) this.nextCheckMs = nowMs + CHECK_EXPIRE_INTERVAL_MS;
  }

  /** ip_vs_lblc_check_expire / ip_vs_lblcr_check_expire at time now. */
  checkExpire(now: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      this.fullCheck(now);
      this.counter = 1;
      return;
    }
    if (this.entries <= this.maxSize) {
      this.counter++;
      return;
    }
    let goal = Math.trunc(((this.entries - this.maxSize) * 4) / 3);
    if (goal > this.maxSize >> 1) goal = this.maxSize >> 1;
    let j = this.rover;
    for (let i = 0; i < LOCALITY_TAB_SIZE; i++) {
      j = (j + 1) & LOCALITY_TAB_MASK;
      goal -= this.dropIdle(this.buckets[j]!, now, ENTRY_TIMEOUT_MS);
      if (goal <= 0) break;
    }
    this.rover = j;
  }

  /** ip_vs_lblc_full_check / ip_vs_lblcr_full_check. */
  fullCheck(now: number): void {
    let j = this.rover;
    for (let i = 0; i < LOCALITY_TAB_SIZE; i++) {
      j = (j + 1) & LOCALITY_TAB_MASK;
      this.dropIdle(this.buckets[j]!, now, this.expirationMs);
    }
    this.rover = j;
  }

  /** Drop the entries of one bucket with !time_before(now, lastuse + idle); returns how many. */
  private dropIdle(b: E[], now: number, idleMs: number): number {
    let dropped = 0;
    for (let i = 0; i < b.length;) {
      const e = b[i]!;
      if (now < e.lastuseMs + idleMs) {
        i++;
        continue;
      }
      const last = b.pop()!;
      if (i < b.length) b[i] = last;
      this.free(e);
      this.entries--;
      dropped++;
    }
    return dropped;
  }
}
