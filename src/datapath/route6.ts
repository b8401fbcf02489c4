// RouteTable6: the IPv6 twin of route.ts, a tiny FIB (fib6_lookup in net/ipv6/ip6_fib.c reduced to
// what a director needs): the connected prefixes of each port by longest prefix, then a default
// gateway. Compiled once from the EngineConfig; a lookup compares four masked words per route
// and allocates nothing.

import type { EngineConfig } from './engine-config.ts';

/** The four word masks of a prefix length 0..128, written at out[at .. at + 3]. */
export function prefixMask6(len: number, out: Uint32Array, at: number): void {
  for (let i = 0; i < 4; i++) {
    const bits = len - 32 * i;
    out[at + i] = bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
}

/** True when a[aAt..] and b[bAt..] agree under the mask m[mAt..]. */
export function sameNet6(
  a: Uint32Array,
  aAt: number,
  b: Uint32Array,
  bAt: number,
  m: Uint32Array,
  mAt: number,
): boolean {
  for (let i = 0; i < 4; i++) {
    const k = m[mAt + i]!;
    if (((a[aAt + i]! & k) ^ (b[bAt + i]! & k)) !== 0) return false;
  }
  return true;
}

export class RouteTable6 {
  private readonly net: Uint32Array;
  private readonly mask: Uint32Array;
  private readonly port: Int32Array;
  private readonly gwPort: number;
  private readonly gw: Uint32Array;
  /** Output of lookup(): the next hop to resolve (the destination itself on a connected prefix). */
  readonly nextHop: Uint32Array;

  constructor(cfg: EngineConfig) {
    const routes: { addr: Uint32Array; len: number; port: number }[] = [];
    let gwPort = -1;
    this.gw = new Uint32Array(4);
    cfg.ports.forEach((p, i) => {
      for (const [addr, len] of p.subnets6 ?? []) routes.push({ addr, len, port: i });
      if (p.gateway6 !== undefined && gwPort < 0) {
        gwPort = i;
        this.gw.set(p.gateway6);
      }
    });
    routes.sort((a, b) => b.len - a.len); // longest prefix first
    this.net = new Uint32Array(routes.length * 4);
    this.mask = new Uint32Array(routes.length * 4);
    routes.forEach((r, i) => {
      prefixMask6(r.len, this.mask, i * 4);
      for (let k = 0; k < 4; k++) this.net[i * 4 + k] = (r.addr[k]! & this.mask[i * 4 + k]!) >>> 0;
    });
    this.port = Int32Array.from(routes.map((r) => r.port));
    this.gwPort = gwPort;
    this.nextHop = new Uint32Array(4);
  }

  /** Output port for the address w[at .. at + 3] (and sets nextHop), or -1 when there is no route. */
  lookup(w: Uint32Array, at: number): number {
    const n = this.port.length;
    for (let i = 0; i < n; i++) {
      if (sameNet6(w, at, this.net, i * 4, this.mask, i * 4)) {
        const h = this.nextHop;
        h[0] = w[at]!;
        h[1] = w[at + 1]!;
        h[2] = w[at + 2]!;
        h[3] = w[at + 3]!;
        return this.port[i]!;
      }
    }
    if (this.gwPort >= 0) {
      this.nextHop.set(this.gw);
      return this.gwPort;
    }
    return -1;
  }
}
