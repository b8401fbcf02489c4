// Display order of ipvsadm listings: ipvs_cmp_services() and ipvs_cmp_dests() of
// libipvs/libipvs.c. They subtract unsigned values into an int, so two addresses more than 2^31
// apart compare "the wrong way" (10.0.0.1 sorts after 192.168.0.1); we keep that, as the kernel
// tool shows it. Array.prototype.sort is stable, like the merge sort glibc's qsort uses.

import { parseDottedQuad } from '../lib/inet.ts';
import { parseInet6 } from '../lib/inet6.ts';
import { AF_INET, AF_INET6 } from '../model/dest.ts';
import type { DestInfo, ServiceInfo } from '../wire/wire.ts';

/** (int)(a - b) for unsigned 32-bit a, b. */
function intDiff(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

/**
 * The address as the union the comparators read: four host-order words for IPv6; an IPv4
 * address sits in the first word (addr.ip overlays s6_addr32[0], the rest zero).
 */
function wordsOf(af: number | undefined, s: string): readonly number[] {
  if (af === AF_INET6) {
    const w = parseInet6(s);
    return w === null ? [0, 0, 0, 0] : Array.from(w);
  }
  return [parseDottedQuad(s) ?? 0, 0, 0, 0];
}

/** ipvs_cmp_*: r = ntohl(a[i]) - ntohl(b[i]) word by word for IPv6 (as ints), one word for IPv4. */
function cmpAddr(
  af: number | undefined,
  a: string,
  aAf: number | undefined,
  b: string,
  bAf: number | undefined,
): number {
  const x = wordsOf(aAf, a);
  const y = wordsOf(bAf, b);
  const n = af === AF_INET6 ? 4 : 1;
  let r = 0;
  for (let i = 0; r === 0 && i < n; i++) r = intDiff(x[i]!, y[i]!);
  return r;
}

/** ipvs_cmp_services(): fwmark, af, protocol, address, port. */
export function cmpServices(s1: ServiceInfo, s2: ServiceInfo): number {
  let r = intDiff(s1.fwmark, s2.fwmark);
  if (r !== 0) return r;
  r = (s1.af ?? AF_INET) - (s2.af ?? AF_INET);
  if (r !== 0) return r;
  r = s1.protocol - s2.protocol;
  if (r !== 0) return r;
  r = cmpAddr(s1.af, s1.addr, s1.af, s2.addr, s2.af);
  if (r !== 0) return r;
  return s1.port - s2.port;
}

/** ipvs_cmp_dests(): address (read in d1's family), then port. */
export function cmpDests(d1: DestInfo, d2: DestInfo): number {
  const r = cmpAddr(d1.af, d1.addr, d1.af, d2.addr, d2.af);
  if (r !== 0) return r;
  return d1.port - d2.port;
}
