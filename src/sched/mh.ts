// mh: Maglev hashing scheduling (NSDI'16, section 3.4), mirroring net/netfilter/ipvs/ip_vs_mh.c.
//
// Table size M = primes[CONFIG_IP_VS_MH_TAB_INDEX - 8] = 4093 by default. Hashes are
// hsiphash (SipHash-1-3 on 64-bit kernels) of one u32 with FIXED keys (generate_hash_secret):
//   hash1 = {2654435761, 2654435761}, hash2 = {2654446892, 2654446892}
// so tables are the same on every boot (nothing random to pin). ip_vs_mh_hashkey hashes
// v = offset + ntohs(port) + ntohl(addr).
// - permutation (ip_vs_mh_permutate), per server in scan order:
//   offset = h1(addr, port) % M, skip = h2(addr, port) % (M - 1) + 1,
//   turns = ((last_weight / gcd) >> rshift) ?: (last_weight != 0),
//   gcd over positive last_weights, rshift = max(0, fls(max last_weight / gcd) - 6).
// - populate (ip_vs_mh_populate): round after round over the list, each server with turns >= 1
//   claims `turns` next free entries of its permutation, until all M entries are taken.
// - lookup: entry h1(caddr, port) % M, port = client port with -b mh-port (TCP/UDP/SCTP only);
//   a server with weight <= 0 or OVERLOAD gives no pick, unless -b mh-fallback, which probes
//   h1 with offset (ihash + k) % M for k = 0..M-1 (ip_vs_mh_get_fallback).
// last_weight is the latest non-zero weight (__ip_vs_update_dest: set on add, and on edit when
// the new weight is not 0), so quiescing a server (weight 0) does not reshuffle the table.
// Dest has no lastWeight field yet: this scheduler tracks it from the add/upd hooks it sees,
// starting from dest.weight for servers present at init.
// With more than M servers the kernel's reassign fails (-EINVAL): init throws, and add/del/upd
// leave the table as it was (the kernel ignores those hooks' return value).

import { DEST_F_OVERLOAD, type Dest } from '../model/dest.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, type Service } from '../model/service.ts';
import { TsvsError } from '../lib/errors.ts';
import type { SchedInput, Scheduler, SchedulerFactory } from '../model/scheduler.ts';
import { HsiphashKey, hsiphash1u32 } from '../lib/hsiphash.ts';
import { schedPort } from './sh.ts';
import { u32mod } from './u32mod.ts';

/** Available prime numbers for the MH table (primes[] in ip_vs_mh.c). */
export const MH_PRIMES: readonly number[] = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071];
const MH_TAB_INDEX_CONFIG = 12; // CONFIG_IP_VS_MH_TAB_INDEX default
const MH_TAB_BITS = MH_TAB_INDEX_CONFIG >> 1;
export const MH_TAB_SIZE = MH_PRIMES[MH_TAB_INDEX_CONFIG - 8]!;

/** -b mh-fallback / mh-port (IP_VS_SVC_F_SCHED_MH_FALLBACK / _PORT in ip_vs_mh.c). */
export const SVC_F_SCHED_MH_FALLBACK = SVC_F_SCHED1;
export const SVC_F_SCHED_MH_PORT = SVC_F_SCHED2;

/** generate_hash_secret: hsiphash_key_t words are unsigned long (64-bit): hi 0, lo = the constant. */
export const MH_HASH1 = new HsiphashKey(0, 2654435761, 0, 2654435761);
export const MH_HASH2 = new HsiphashKey(0, 2654446892, 0, 2654446892);

/** ip_vs_mh_hashkey for IPv4 (addr, port in host order), as an int32 bit pattern (>>> 0 for u32). */
export function mhHashkey(addr: number, port: number, key: HsiphashKey, offset: number): number {
  return hsiphash1u32((offset + port + addr) | 0, key); // u32 wrap-around; int32 bits avoid boxing
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** fls(): 1-based index of the highest set bit, 0 for 0. */
function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

function isUnavailable(d: Dest): boolean {
  return d.weight <= 0 || (d.flags & DEST_F_OVERLOAD) !== 0;
}

export class MhScheduler implements Scheduler {
  readonly name = 'mh';
  /** The Maglev table depends only on the dests, the pick only on the flow's hash. */
  readonly consistent = true;
  readonly size: number;
  readonly lookup: (Dest | null)[];
  /** dest->last_weight as seen through the hooks. */
  readonly lastWeight: Map<Dest, number>;
  gcd: number;
  rshift: number;

  constructor(size = MH_TAB_SIZE) {
    this.size = size;
    this.lookup = new Array<Dest | null>(size).fill(null);
    this.lastWeight = new Map();
    this.gcd = 0;
    this.rshift = 0;
  }

  /** ip_vs_mh_init_svc. */
  init(svc: Service): void {
    this.lastWeight.clear();
    for (const d of svc.dests) this.lastWeight.set(d, d.weight);
    if (!this.destChanged(svc)) {
      throw new TsvsError('EINVAL', 'Invalid argument');
    }
  }

  done(_svc: Service): void {
    this.lookup.fill(null);
    this.lastWeight.clear();
  }

  addDest(svc: Service, dest: Dest): void {
    this.lastWeight.set(dest, dest.weight); // "if (add || udest->weight != 0)"
    this.destChanged(svc);
  }

  delDest(svc: Service, dest: Dest, _oldIndex: number): void {
    this.lastWeight.delete(dest);
    this.destChanged(svc);
  }

  updDest(svc: Service, dest: Dest): void {
    if (!this.lastWeight.has(dest)) return;
    if (dest.weight !== 0) this.lastWeight.set(dest, dest.weight);
    this.destChanged(svc);
  }

  loadChanged(_svc: Service, _dest: Dest): void {}

  private lw(d: Dest): number {
    return this.lastWeight.get(d) ?? d.weight;
  }

  /** ip_vs_mh_dest_changed: gcd, rshift, then reassign; false when there are too many servers. */
  private destChanged(svc: Service): boolean {
    let g = 0;
    let max = 0;
    for (const d of svc.dests) {
      const w = this.lw(d);
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    this.gcd = g;
    // ip_vs_mh_shift_weight: "shift = occupied bits of weight/gcd - MH highest bits"
    const shift = g < 1 ? 0 : fls(Math.trunc(max / g)) - MH_TAB_BITS;
    this.rshift = shift >= 0 ? shift : 0;
    return this.reassign(svc);
  }

  /** ip_vs_mh_reassign = ip_vs_mh_permutate + ip_vs_mh_populate. */
  private reassign(svc: Service): boolean {
    const list = svc.dests;
    const n = list.length;
    const M = this.size;
    if (n > M) return false;
    if (this.gcd < 1) {
      this.lookup.fill(null); // ip_vs_mh_reset
      return true;
    }
    const perm = new Int32Array(n);
    const skip = new Int32Array(n);
    const turns = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const d = list[i]!;
      perm[i] = u32mod(mhHashkey(d.addr, d.port, MH_HASH1, 0), M);
      skip[i] = u32mod(mhHashkey(d.addr, d.port, MH_HASH2, 0), M - 1) + 1;
      const lw = this.lw(d);
      turns[i] = Math.trunc(lw / this.gcd) >> this.rshift || (lw !== 0 ? 1 : 0);
    }
    const taken = new Uint8Array(M);
    let filled = 0;
    let dtCount = 0;
    while (filled < M) {
      for (let p = 0; p < n;) {
        if (turns[p]! < 1) {
          p++; // "Ignore added server with zero weight"
          continue;
        }
        let c = perm[p]!;
        while (taken[c] !== 0) {
          let next = perm[p]! + skip[p]!;
          if (next >= M) next -= M;
          perm[p] = next;
          c = next;
        }
        taken[c] = 1;
        this.lookup[c] = list[p]!;
        if (++filled === M) return true;
        if (++dtCount >= turns[p]!) {
          dtCount = 0;
          p++;
        }
      }
    }
    return true;
  }

  /** ip_vs_mh_schedule (ip_vs_mh_get / ip_vs_mh_get_fallback). */
  schedule(svc: Service, input: SchedInput): Dest | null {
    const M = this.size;
    const port = (svc.flags & SVC_F_SCHED_MH_PORT) !== 0 ? schedPort(input) : 0;
    const addr = input.caddr;
    const ihash = u32mod(mhHashkey(addr, port, MH_HASH1, 0), M);
    let d = this.lookup[ihash] ?? null;
    if (d === null) return null;
    if (!isUnavailable(d)) return d;
    if ((svc.flags & SVC_F_SCHED_MH_FALLBACK) === 0) return null;
    for (let offset = 0; offset < M; offset++) {
      const roffset = (offset + ihash) % M;
      d = this.lookup[u32mod(mhHashkey(addr, port, MH_HASH1, roffset), M)] ?? null;
      if (d === null) break;
      if (!isUnavailable(d)) return d;
    }
    return null;
  }
}

export const mh: SchedulerFactory = {
  name: 'mh',
  create: () => new MhScheduler(),
};
