// RouteTable: picks the output port and next hop for a destination (a tiny FIB: connected
// subnets by longest prefix, then a default gateway), compiled once from the EngineConfig.

import { prefixMask, type EngineConfig } from './engine-config.ts';

export class RouteTable {
  private readonly net: Uint32Array;
  private readonly mask: Uint32Array;
  private readonly port: Int32Array;
  private readonly gwPort: number;
  private readonly gw: number;
  /** Output of lookup(): the next hop to resolve. */
  nextHop: number;

  constructor(cfg: EngineConfig) {
    const routes: { net: number; mask: number; port: number; len: number }[] = [];
    let gwPort = -1;
    let gw = 0;
    cfg.ports.forEach((p, i) => {
      for (const [addr, len] of p.subnets) {
        const mask = prefixMask(len);
        routes.push({ net: (addr & mask) >>> 0, mask, port: i, len });
      }
      if (p.gateway !== 0 && gwPort < 0) {
        gwPort = i;
        gw = p.gateway;
      }
    });
    routes.sort((a, b) => b.len - a.len); // longest prefix first
    this.net = Uint32Array.from(routes.map((r) => r.net));
    this.mask = Uint32Array.from(routes.map((r) => r.mask));
    this.port = Int32Array.from(routes.map((r) => r.port));
    this.gwPort = gwPort;
    this.gw = gw;
    this.nextHop = 0;
  }

  /** Output port index for daddr (and sets this.nextHop), or -1 when there is no route. */
  lookup(daddr: number): number {
    const n = this.net.length;
    for (let i = 0; i < n; i++) {
      if ((daddr & this.mask[i]!) >>> 0 === this.net[i]) {
        this.nextHop = daddr;
        return this.port[i]!;
      }
    }
    if (this.gwPort >= 0) {
      this.nextHop = this.gw;
      return this.gwPort;
    }
    return -1;
  }
}
