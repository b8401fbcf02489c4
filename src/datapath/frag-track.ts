// FragTrack: the ports of fragmented TCP/UDP datagrams, so that every fragment of a datagram
// follows the connection of its first one. IPVS sees whole datagrams: nf_defrag_ipv4 /
// nf_defrag_ipv6 reassemble in PRE_ROUTING before ip_vs_in() (ip_vs_core.c), and the output path
// fragments again (ip_fragment / ip6_fragment) where the datagram does not fit. A userspace
// director can get the same result on the wire without holding or copying a datagram: the first
// fragment carries the TCP/UDP header, so it is translated like any packet (its L4 checksum,
// which covers the whole datagram, is updated incrementally and stays right), and each later
// fragment, which has no L4 header, takes the ports recorded from the first one for the
// connection lookup and gets only its IP header rewritten. This is VPP's "shallow virtual
// reassembly" (ip4-sv-reass): fragments keep their sizes, so nothing is fragmented again.
//
// The key is RFC 791's (source, destination, protocol, identification), RFC 8200's (source,
// destination, identification) plus the upper-layer protocol for IPv6. An entry lives as long as
// the kernel keeps an incomplete datagram (net.ipv4.ipfrag_time 30 s, net.ipv6 ip6frag_time
// 60 s). A later fragment that arrives before its first one finds no entry: the caller counts it
// as a `fragment` drop (the kernel would hold it in its queue until the rest arrives), which a
// sender that emits fragments in order, as Linux does, never meets.
//
// Open addressing over a fixed table (power-of-two capacity, probe window PROBE); a new datagram
// takes a free or expired slot of its window, else the one that expires first. No allocation
// after construction.

import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

const PROBE = 8;
/** ipfrag_time (net/ipv4/ip_fragment.c: IP_FRAG_TIME) and ip6frag_time (IPV6_FRAG_TIMEOUT). */
export const FRAG_TIMEOUT_MS = 30_000;
export const FRAG6_TIMEOUT_MS = 60_000;

export class FragTrack {
  private readonly mask: number;
  /** Source and destination: four words each (an IPv4 address is word 0, the rest 0). */
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly ident: Uint32Array;
  private readonly proto: Uint8Array;
  private readonly sport: Uint16Array;
  private readonly dport: Uint16Array;
  /** When the entry stops answering (ms on the pipeline's clock); 0: free. */
  private readonly expires: Float64Array;
  private readonly timeoutMs: number;
  /** An IPv4 fragment's addresses as four words each (track4), zeros after word 0. */
  private readonly src4 = new Uint32Array(4);
  private readonly dst4 = new Uint32Array(4);
  /** First fragments recorded; later fragments given their ports. */
  recorded = 0;
  matched = 0;

  /** capacity: a power of two; timeoutMs: FRAG_TIMEOUT_MS or FRAG6_TIMEOUT_MS. */
  constructor(capacity: number, timeoutMs: number) {
    if ((capacity & (capacity - 1)) !== 0 || capacity < PROBE)
      throw new RangeError(`bad FragTrack capacity ${capacity}`);
    this.mask = capacity - 1;
    this.src = new Uint32Array(capacity * 4);
    this.dst = new Uint32Array(capacity * 4);
    this.ident = new Uint32Array(capacity);
    this.proto = new Uint8Array(capacity);
    this.sport = new Uint16Array(capacity);
    this.dport = new Uint16Array(capacity);
    this.expires = new Float64Array(capacity);
    this.timeoutMs = timeoutMs;
  }

  /** track() for an IPv4 fragment: its addresses (f.saddr, f.daddr) in word 0 of scratch words. */
  track4(f: ParsedFrame, nowMs: number): boolean {
    this.src4[0] = f.saddr;
    this.dst4[0] = f.daddr;
    return this.track(f, this.src4, this.dst4, nowMs);
  }

  /**
   * A fragment of a parsed frame (moreFrags or fragOff set) with its addresses as four words
   * each (IPv4: the address in word 0, zeros after). A first TCP/UDP fragment is recorded and
   * true; a later one gets f.sport / f.dport from its datagram's entry and true, or false when
   * there is none (or it is not TCP/UDP): the caller drops or passes it.
   */
  track(f: ParsedFrame, s: Uint32Array, d: Uint32Array, nowMs: number): boolean {
    const p = f.protocol;
    if (p !== IPPROTO_TCP && p !== IPPROTO_UDP) return f.fragOff === 0;
    const id = f.ipId >>> 0;
    const h = this.start(s, d, id, p);
    if (f.fragOff === 0) {
      this.record(h, s, d, id, p, f.sport, f.dport, nowMs);
      return true;
    }
    for (let i = 0; i < PROBE; i++) {
      const k = (h + i) & this.mask;
      if (this.expires[k]! > nowMs && this.same(k, s, d, id, p)) {
        f.sport = this.sport[k]!;
        f.dport = this.dport[k]!;
        this.matched++;
        return true;
      }
    }
    return false;
  }

  private record(
    h: number,
    s: Uint32Array,
    d: Uint32Array,
    id: number,
    p: number,
    sp: number,
    dp: number,
    nowMs: number,
  ): void {
    // The slot already holding this datagram (a retransmitted first fragment), else a free or
    // expired one, else the one that expires first.
    let at = -1;
    let oldest = -1;
    for (let i = 0; i < PROBE; i++) {
      const k = (h + i) & this.mask;
      const e = this.expires[k]!;
      if (e > nowMs && this.same(k, s, d, id, p)) {
        at = k;
        break;
      }
      if (e <= nowMs) {
        if (at < 0) at = k;
      } else if (oldest < 0 || e < this.expires[oldest]!) oldest = k;
    }
    if (at < 0) at = oldest;
    const w = at << 2;
    for (let i = 0; i < 4; i++) {
      this.src[w + i] = s[i]!;
      this.dst[w + i] = d[i]!;
    }
    this.ident[at] = id;
    this.proto[at] = p;
    this.sport[at] = sp;
    this.dport[at] = dp;
    this.expires[at] = nowMs + this.timeoutMs;
    this.recorded++;
  }

  private start(s: Uint32Array, d: Uint32Array, id: number, p: number): number {
    let h = Math.imul(s[0]! ^ s[1]! ^ s[2]! ^ s[3]! ^ id, 0x9e3779b1);
    h = Math.imul(h ^ d[0]! ^ d[1]! ^ d[2]! ^ d[3]! ^ p, 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private same(k: number, s: Uint32Array, d: Uint32Array, id: number, p: number): boolean {
    const w = k << 2;
    const a = this.src;
    const b = this.dst;
    return (
      this.ident[k] === id &&
      this.proto[k] === p &&
      a[w] === s[0] &&
      a[w + 1] === s[1] &&
      a[w + 2] === s[2] &&
      a[w + 3] === s[3] &&
      b[w] === d[0] &&
      b[w + 1] === d[1] &&
      b[w + 2] === d[2] &&
      b[w + 3] === d[3]
    );
  }
}
