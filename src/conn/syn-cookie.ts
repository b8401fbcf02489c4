// SYN cookies: the initial sequence number and timestamp of a SYN-ACK that carry, instead of
// state, what the connection needs once the client's ACK comes back. The Linux scheme of
// net/ipv4/syncookies.c (secure_tcp_syn_cookie, check_tcp_syn_cookie, __cookie_v4_init_sequence,
// cookie_init_timestamp, cookie_timestamp_decode) and, for IPv6, net/ipv6/syncookies.c
// (cookie_hash over the 128-bit addresses, __cookie_v6_init_sequence), RFC 4987 section 3.6.
//
//   ISN = H0(saddr, daddr, sport, dport) + sseq + (count << 24)
//         + ((H1(saddr, daddr, sport, dport, count) + mssind) & 0xffffff)
//   count = minutes since the epoch (tcp_cookie_time); a cookie is good for MAX_AGE minutes.
//   TSval = (now_ms & ~63) | options, moved back 64 ms if that is in the future, options =
//           wscale (0..14, 15 = none) | SACK << 4 | ECN << 5: echoed back in the ACK's TSecr.
//
// The kernel's hash is siphash_4u32 with one boot-time secret; here it is hsiphash (src/lib) of the
// same four words (IPv4), or of the 40 bytes of the IPv6 cookie_hash's struct: saddr and daddr as
// on the wire, count (little-endian, a native u32), sport and dport (big-endian). Keys are rotated
// every minute: the key for minute c lives in slot c & 1 and
// is replaced when minute c + 2 begins, so a cookie is checked with the key it was made with and
// a key that leaks stops working within two minutes. No allocation per call.

import { randomFillSync } from 'node:crypto';
import { HsiphashKey, hsiphashBytes } from '../lib/hsiphash.ts';

/** msstab[] of syncookies.c: the MSS values a cookie can carry (its index, 2 bits). */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
/** msstab[] of net/ipv6/syncookies.c: the MTUs 1280 (IPV6_MIN_MTU), 1480, 1500, 9000 minus 60 (RFC 2460 8.3). */
export const COOKIE_MSS_TABLE6: readonly number[] = [1220, 1420, 1440, 8940];
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE: a cookie made in minute c validates in minutes c and c + 1. */
const MAX_AGE = 2;
const TSBITS = 6;
export const TS_OPT_WSCALE_MASK = 0xf;
export const TS_OPT_SACK = 1 << 4;
export const TS_OPT_ECN = 1 << 5;
const MINUTE_MS = 60_000;

export class SynCookies {
  /** Keys of minute c in slots 2(c & 1) (H0) and 2(c & 1) + 1 (H1), as the kernel's syncookie_secret[2]. */
  private readonly keys: HsiphashKey[];
  /** The minute each slot's key belongs to (-1 none yet). */
  private readonly keyMinute = new Float64Array(2).fill(-1);
  /** The hash input: 16 bytes for IPv4 (words4), 40 for IPv6 (words6), one buffer. */
  private readonly words6 = new Uint8Array(40);
  private readonly words4 = this.words6.subarray(0, 16);
  private readonly dv = new DataView(this.words6.buffer);
  private readonly rnd = new Uint32Array(8);
  /** Fixed keys for tests (golden frames); random when omitted. */
  private fixedKey: Uint32Array | null;

  constructor(fixedKey: Uint32Array | null = null) {
    this.fixedKey = fixedKey;
    const k = new HsiphashKey(0, 0, 0, 0);
    this.keys = [k, k, k, k];
  }

  /** Use fixed keys from now on (8 words: H0's key, then H1's), for golden tests; null = random again. */
  useFixedKey(key: Uint32Array | null): void {
    this.fixedKey = key;
    this.keyMinute.fill(-1);
  }

  /** The cookie ISN for a SYN <saddr:sport -> daddr:dport, seq> and MSS index at nowMs. */
  isn(saddr: number, daddr: number, sport: number, dport: number, seq: number, mssind: number, nowMs: number): number {
    this.fill4(saddr, daddr, sport, dport);
    return this.isnOf(this.words4, 12, seq, mssind, nowMs);
  }

  /** The same for an IPv6 SYN (cookie_v6_init_sequence) from s to d, each four host-order words. */
  isn6(
    s: Uint32Array,
    d: Uint32Array,
    sport: number,
    dport: number,
    seq: number,
    mssind: number,
    nowMs: number,
  ): number {
    this.fill6(s, d, sport, dport);
    return this.isnOf(this.words6, 32, seq, mssind, nowMs);
  }

  /**
   * check_tcp_syn_cookie for an ACK <saddr:sport -> daddr:dport> with seq and ack_seq: the MSS
   * index (0..3) when ack_seq - 1 is a cookie this director made for seq - 1 in the last two
   * minutes, else -1.
   */
  check(
    saddr: number,
    daddr: number,
    sport: number,
    dport: number,
    seq: number,
    ackSeq: number,
    nowMs: number,
  ): number {
    this.fill4(saddr, daddr, sport, dport);
    return this.checkOf(this.words4, 12, seq, ackSeq, nowMs);
  }

  /** check() for an IPv6 ACK (cookie_v6_check -> __cookie_v6_check). */
  check6(
    s: Uint32Array,
    d: Uint32Array,
    sport: number,
    dport: number,
    seq: number,
    ackSeq: number,
    nowMs: number,
  ): number {
    this.fill6(s, d, sport, dport);
    return this.checkOf(this.words6, 32, seq, ackSeq, nowMs);
  }

  /** secure_tcp_syn_cookie over the prepared input `data`, whose count word is at countAt. */
  private isnOf(data: Uint8Array, countAt: number, seq: number, mssind: number, nowMs: number): number {
    const count = Math.floor(nowMs / MINUTE_MS);
    const h0 = this.hash(data, countAt, 0, count, 0);
    const h1 = this.hash(data, countAt, count, count, 1);
    return (h0 + seq + ((count << COOKIEBITS) >>> 0) + ((h1 + mssind) & COOKIEMASK)) >>> 0;
  }

  private checkOf(data: Uint8Array, countAt: number, seq: number, ackSeq: number, nowMs: number): number {
    const cookie = (ackSeq - 1) >>> 0;
    const sseq = (seq - 1) >>> 0;
    const count = Math.floor(nowMs / MINUTE_MS);
    // The key depends on the minute the cookie was made: try this minute's and the last one's.
    for (let age = 0; age < MAX_AGE; age++) {
      const made = count - age;
      const h0 = this.hash(data, countAt, 0, made, 0);
      const c = (cookie - h0 - sseq) >>> 0;
      const diff = (count - (c >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
      if (diff !== age) continue;
      const h1 = this.hash(data, countAt, made, made, 1);
      const mssind = (c - h1) & COOKIEMASK;
      if (mssind < COOKIE_MSS_TABLE.length) return mssind;
    }
    return -1;
  }

  /** IPv4 input: saddr, daddr, sport << 16 | dport, then the count word (siphash_4u32's order). */
  private fill4(saddr: number, daddr: number, sport: number, dport: number): void {
    const dv = this.dv;
    dv.setUint32(0, saddr >>> 0, true);
    dv.setUint32(4, daddr >>> 0, true);
    dv.setUint32(8, ((sport << 16) | dport) >>> 0, true);
  }

  /** IPv6 input, the kernel's struct: saddr (16), daddr (16), count (4), sport (2), dport (2). */
  private fill6(s: Uint32Array, d: Uint32Array, sport: number, dport: number): void {
    const dv = this.dv;
    for (let i = 0; i < 4; i++) {
      dv.setUint32(i * 4, s[i]!, false);
      dv.setUint32(16 + i * 4, d[i]!, false);
    }
    dv.setUint16(36, sport, false);
    dv.setUint16(38, dport, false);
  }

  /** H(data with `word` at countAt) with the key of minute `minute`, c = 0 or 1. */
  private hash(data: Uint8Array, countAt: number, word: number, minute: number, c: number): number {
    this.dv.setUint32(countAt, word >>> 0, true);
    return hsiphashBytes(data, this.keyFor(minute, c));
  }

  private keyFor(minute: number, c: number): HsiphashKey {
    const slot = minute & 1;
    if (this.keyMinute[slot] !== minute) {
      this.keyMinute[slot] = minute;
      const r = this.rnd;
      if (this.fixedKey !== null) r.set(this.fixedKey);
      else randomFillSync(r);
      // Rotation runs once a minute per slot: two new key objects then, never per packet.
      this.keys[slot * 2] = new HsiphashKey(r[0]!, r[1]!, r[2]!, r[3]!);
      this.keys[slot * 2 + 1] = new HsiphashKey(r[4]!, r[5]!, r[6]!, r[7]!);
    }
    return this.keys[slot * 2 + c]!;
  }
}

/** __cookie_v4_init_sequence's (and v6's) choice: the largest table MSS not above the client's. */
export function cookieMssIndex(mss: number, table: readonly number[] = COOKIE_MSS_TABLE): number {
  let i = table.length - 1;
  for (; i > 0; i--) if (mss >= table[i]!) break;
  return i;
}

/** cookie_init_timestamp: the SYN-ACK's TSval (ms clock) with the client's options in its low 6 bits. */
export function cookieTsval(nowMs: number, wscale: number, sackOk: boolean, ecnOk: boolean): number {
  let options = wscale >= 0 ? wscale & TS_OPT_WSCALE_MASK : TS_OPT_WSCALE_MASK;
  if (sackOk) options |= TS_OPT_SACK;
  if (ecnOk) options |= TS_OPT_ECN;
  const now = nowMs >>> 0;
  let ts = ((now >>> TSBITS) << TSBITS) >>> 0;
  ts = (ts | options) >>> 0;
  if (ts > now) ts = (ts - (1 << TSBITS)) >>> 0;
  return ts;
}
