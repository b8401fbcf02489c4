// inet6: IPv6 addresses as four host-order uint32 words inside (word 0 holds the first 32 bits
// on the wire), text only at the control-plane edges: parsed with the `ip-address` package as
// inet_pton(AF_INET6) accepts them, printed as glibc's inet_ntop() prints them (what ipvsadm's
// -L shows: print_service_entry and print_conn go through inet_ntop).

import { Address6 } from 'ip-address';

/** An IPv6 address: a Uint32Array of 4 host-order words, [0] = bits 0..31 on the wire. */
export type Inet6 = Uint32Array;

/** A new all-zero address (::); AF_INET services and dests carry this. */
export function inet6Zero(): Inet6 {
  return new Uint32Array(4);
}

/**
 * Text to words, or null for what inet_pton(AF_INET6) refuses: zone ids (%eth0), prefixes
 * (/64), brackets and anything `ip-address` does not take as one full address.
 */
export function parseInet6(s: string): Inet6 | null {
  if (s.includes('%') || s.includes('/') || s.includes('[')) return null;
  if (!Address6.isValid(s)) return null;
  const bytes = new Address6(s).toByteArray();
  // toByteArray drops leading zero bytes (it goes through a BigInteger): pad to 16.
  const b = new Uint8Array(16);
  b.set(bytes, 16 - bytes.length);
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    w[i] = ((b[4 * i]! << 24) | (b[4 * i + 1]! << 16) | (b[4 * i + 2]! << 8) | b[4 * i + 3]!) >>> 0;
  }
  return w;
}

/** Four words from their parts (tests and codecs). */
export function inet6Of(w0: number, w1: number, w2: number, w3: number): Inet6 {
  return Uint32Array.of(w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0);
}

/**
 * glibc inet_ntop6 (resolv/inet_ntop.c): lowercase hex, the longest run of two or more zero
 * 16-bit groups (the first of equal runs) as "::", and the last 32 bits as a dotted quad for
 * IPv4-compatible (::a.b.c.d when exactly the first 96 bits are zero runs of six groups) and
 * IPv4-mapped (::ffff:a.b.c.d) addresses; ::2 stays ::2, as glibc prints it.
 */
export function formatInet6(w: Inet6): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 4; i++) {
    g[2 * i] = w[i]! >>> 16;
    g[2 * i + 1] = w[i]! & 0xffff;
  }
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (g[i] === 0) {
      if (curBase === -1) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      const v4 = w[3]!;
      out += `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.${v4 & 0xff}`;
      break;
    }
    out += g[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** The kernel's fold of an IPv6 address into 32 bits (ip6[0]^ip6[1]^ip6[2]^ip6[3], as in ip_vs_sh_hashkey). */
export function inet6Fold(w: Inet6): number {
  return (w[0]! ^ w[1]! ^ w[2]! ^ w[3]!) >>> 0;
}

export function inet6Equal(a: Inet6, b: Inet6): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
