// Display order of ipvsadm listings: ipvs_cmp_services() and ipvs_cmp_dests() of
// libipvs/libipvs.c. They subtract unsigned values into an int, so two addresses more than 2^31
// apart compare "the wrong way" (10.0.0.1 sorts after 192.168.0.1); we keep that, as the kernel
// tool shows it. Array.prototype.sort is stable, like the merge sort glibc's qsort uses.

import { parseDottedQuad } from '../lib/inet.ts';
import type { DestInfo, ServiceInfo } from '../wire/wire.ts';

/** (int)(a - b) for unsigned 32-bit a, b. */
function intDiff(a: number, b: number): number {
  return ((a >>> 0) - (b >>> 0)) | 0;
}

function addrOf(s: string): number {
  return parseDottedQuad(s) ?? 0;
}

/** ipvs_cmp_services(): fwmark, af, protocol, address, port. */
export function cmpServices(s1: ServiceInfo, s2: ServiceInfo): number {
  let r = intDiff(s1.fwmark, s2.fwmark);
  if (r !== 0) return r;
  r = s1.protocol - s2.protocol;
  if (r !== 0) return r;
  r = intDiff(addrOf(s1.addr), addrOf(s2.addr));
  if (r !== 0) return r;
  return s1.port - s2.port;
}

/** ipvs_cmp_dests(): address, then port. */
export function cmpDests(d1: DestInfo, d2: DestInfo): number {
  const r = intDiff(addrOf(d1.addr), addrOf(d2.addr));
  if (r !== 0) return r;
  return d1.port - d2.port;
}
