// OwnedAddrs: the addresses tsvs answers for in userspace (VIPs, full-NAT local addresses) and the
// port each lives on. A handful of entries: a linear scan of an Int32Array beats any hash here.
// On a VRRP BACKUP director (keepalived's notify runs `tsvsadm --vrrp-state backup`) the addresses
// are held but silent: standby makes portOf() answer -1, as a kernel director without the VIP
// (keepalived removed it) neither answers ARP nor accepts packets for it. IPv6 owned addresses
// (PortConfig.owned6) sit in their own rows of four words, scanned the same way (portOf6); the
// IPv6 full-NAT local addresses (EngineConfig.fullNatAddrs6) join them, so they get neighbour
// advertisements and echo replies, and isFullNat6 tells the real servers' replies to them apart.

import { prefixMask, type EngineConfig } from './engine-config.ts';
import { prefixMask6, sameNet6 } from './route6.ts';

export class OwnedAddrs {
  private readonly addr: Int32Array;
  private readonly port: Int32Array;
  private readonly fnat: Uint8Array;
  /** IPv6 owned addresses, four words each, and their ports. */
  private readonly addr6: Uint32Array;
  private readonly port6: Int32Array;
  private readonly fnat6: Uint8Array;
  /** Held but not answered (VRRP BACKUP or FAULT); see src/daemon/vrrp-state.ts. */
  standby: boolean;

  constructor(cfg: EngineConfig) {
    const rows: [number, number, number][] = [];
    cfg.ports.forEach((p, i) => {
      for (const a of p.owned) rows.push([a | 0, i, cfg.fullNatAddrs.includes(a >>> 0) ? 1 : 0]);
    });
    // A full-NAT local address is owned on the port whose subnet holds it, even if not listed there.
    for (const a of cfg.fullNatAddrs) {
      if (rows.some((r) => r[0] === (a | 0))) continue;
      const port = cfg.ports.findIndex((p) =>
        p.subnets.some(([net, len]) => (a & prefixMask(len)) >>> 0 === (net & prefixMask(len)) >>> 0),
      );
      if (port >= 0) rows.push([a | 0, port, 1]);
    }
    this.addr = Int32Array.from(rows.map((r) => r[0]));
    this.port = Int32Array.from(rows.map((r) => r[1]));
    this.fnat = Uint8Array.from(rows.map((r) => r[2]));
    const rows6 = ownedRows6(cfg);
    this.addr6 = new Uint32Array(rows6.length * 4);
    rows6.forEach(([a], i) => this.addr6.set(a, i * 4));
    this.port6 = Int32Array.from(rows6.map((r) => r[1]));
    this.fnat6 = Uint8Array.from(rows6.map((r) => r[2]));
    this.standby = false;
  }

  /** Port that owns addr, or -1. */
  portOf(addr: number): number {
    if (this.standby) return -1;
    const a = addr | 0;
    const n = this.addr.length;
    for (let i = 0; i < n; i++) if (this.addr[i] === a) return this.port[i]!;
    return -1;
  }

  /** Whether addr is a full-NAT local address (replies from real servers come back to it). */
  isFullNat(addr: number): boolean {
    const a = addr | 0;
    const n = this.addr.length;
    for (let i = 0; i < n; i++) if (this.addr[i] === a) return this.fnat[i] === 1;
    return false;
  }

  /** Port that owns the IPv6 address w[0..3], or -1. */
  portOf6(w: Uint32Array): number {
    if (this.standby) return -1;
    const a = this.addr6;
    const w0 = w[0]!,
      w1 = w[1]!,
      w2 = w[2]!,
      w3 = w[3]!;
    const n = this.port6.length;
    for (let i = 0; i < n; i++) {
      const k = i << 2;
      if (a[k] === w0 && a[k + 1] === w1 && a[k + 2] === w2 && a[k + 3] === w3) return this.port6[i]!;
    }
    return -1;
  }

  /** Whether the IPv6 address w[0..3] is a full-NAT local address (an owned one: call after portOf6). */
  isFullNat6(w: Uint32Array): boolean {
    const a = this.addr6;
    const n = this.port6.length;
    for (let i = 0; i < n; i++) {
      const k = i << 2;
      if (a[k] === w[0] && a[k + 1] === w[1] && a[k + 2] === w[2] && a[k + 3] === w[3]) return this.fnat6[i] === 1;
    }
    return false;
  }

  /** The IPv6 owned addresses with their ports (copies). */
  entries6(): [Uint32Array, number][] {
    return Array.from(this.port6, (p, i) => [this.addr6.slice(i * 4, i * 4 + 4), p] as [Uint32Array, number]);
  }

  entries(): [number, number][] {
    return Array.from(this.addr, (a, i) => [a >>> 0, this.port[i]!] as [number, number]);
  }
}

function equal6(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/**
 * [address, port, full NAT 1/0] of the IPv6 owned addresses: each port's owned6, then the
 * full-NAT local addresses not listed there, on the port whose IPv6 subnet holds them (as for IPv4).
 */
function ownedRows6(cfg: EngineConfig): [Uint32Array, number, number][] {
  const fnat = cfg.fullNatAddrs6 ?? [];
  const rows: [Uint32Array, number, number][] = [];
  cfg.ports.forEach((p, i) => {
    for (const a of p.owned6 ?? []) rows.push([a, i, fnat.some((b) => equal6(a, b)) ? 1 : 0]);
  });
  const mask = new Uint32Array(4);
  for (const a of fnat) {
    if (rows.some((r) => equal6(r[0], a))) continue;
    const port = cfg.ports.findIndex((p) =>
      (p.subnets6 ?? []).some(([net, len]) => {
        prefixMask6(len, mask, 0);
        return sameNet6(a, 0, net, 0, mask, 0);
      }),
    );
    if (port >= 0) rows.push([a, port, 1]);
  }
  return rows;
}
