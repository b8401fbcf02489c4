// ServiceLookup: the data plane's view of the service table, the role of ip_vs_svc_table and
// __ip_vs_service_find() in ip_vs_ctl.c. Immutable once built: the control plane builds a new
// one on every change and swaps the reference, so a lookup never sees a half-applied change.
//
// Open addressing with linear probing over three parallel typed arrays; the load factor stays at
// or below 1/2, so a probe always meets an empty slot. A lookup allocates nothing.
//
//   slot:   0        1        2        3      ...   mask
//   kAddr:  vaddr    .        vaddr'   .            (int32 view of the uint32 address)
//   kPP:    p<<16|pt .        p<<16|pt .
//   idx:    3        -1       0        -1           (index into services[], -1 = empty)

import type { Service } from './service.ts';

const EMPTY = -1;

function slotHash(kAddr: number, kPP: number): number {
  // Two multiplicative mixes, folded: cheap and spreads neighbouring addresses and ports.
  let h = Math.imul(kAddr, 0x9e3779b1) ^ Math.imul(kPP, 0x85ebca6b);
  h ^= h >>> 15;
  return h;
}

export class ServiceLookup {
  private readonly kAddr: Int32Array;
  private readonly kPP: Int32Array;
  private readonly idx: Int32Array;
  private readonly mask: number;
  private readonly services: readonly Service[];
  /** Services with port 0 (nullsvc_counter): only then is the catch-all probe made. */
  readonly nullServices: number;
  private readonly fwmarks: ReadonlyMap<number, Service>;

  /** Builds the table from the address services and fwmark services of the control plane. */
  constructor(all: readonly Service[]) {
    const addrServices = all.filter((s) => s.fwmark === 0);
    let size = 16;
    while (size < addrServices.length * 2) size <<= 1;
    this.kAddr = new Int32Array(size);
    this.kPP = new Int32Array(size);
    this.idx = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    this.services = addrServices;
    let nullServices = 0;
    for (let i = 0; i < addrServices.length; i++) {
      const s = addrServices[i]!;
      if (s.port === 0) nullServices++;
      const kAddr = s.addr | 0;
      const kPP = (s.protocol << 16) | s.port;
      let slot = slotHash(kAddr, kPP) & this.mask;
      while (this.idx[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.kAddr[slot] = kAddr;
      this.kPP[slot] = kPP;
      this.idx[slot] = i;
    }
    this.nullServices = nullServices;
    const fwmarks = new Map<number, Service>();
    for (const s of all) if (s.fwmark !== 0) fwmarks.set(s.fwmark, s);
    this.fwmarks = fwmarks;
  }

  /** __ip_vs_service_find(): the exact <protocol, vaddr, vport> service, or null. */
  find(protocol: number, vaddr: number, vport: number): Service | null {
    const kAddr = vaddr | 0;
    const kPP = (protocol << 16) | vport;
    let slot = slotHash(kAddr, kPP) & this.mask;
    for (;;) {
      const i = this.idx[slot]!;
      if (i === EMPTY) return null;
      if (this.kAddr[slot] === kAddr && this.kPP[slot] === kPP) return this.services[i]!;
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * ip_vs_service_find() without the FTP helper: the exact service, else the port-zero
   * (persistent catch-all) service of that address when any port-zero service exists.
   */
  lookup(protocol: number, vaddr: number, vport: number): Service | null {
    const s = this.find(protocol, vaddr, vport);
    if (s !== null || this.nullServices === 0) return s;
    return this.find(protocol, vaddr, 0);
  }

  /**
   * __ip_vs_service_find() for AF_INET6 (a view built from IPv6 services only): the slot is
   * found by the address's fold, as `addr` holds it, and ip_vs_addr_equal decides on the four
   * words, probing on past services whose folds collide. Allocation-free.
   */
  find6(protocol: number, vaddr6: Uint32Array, vport: number): Service | null {
    const kAddr = vaddr6[0]! ^ vaddr6[1]! ^ vaddr6[2]! ^ vaddr6[3]!;
    const kPP = (protocol << 16) | vport;
    let slot = slotHash(kAddr, kPP) & this.mask;
    for (;;) {
      const i = this.idx[slot]!;
      if (i === EMPTY) return null;
      if (this.kAddr[slot] === kAddr && this.kPP[slot] === kPP) {
        const a = this.services[i]!.addr6;
        if (a[0] === vaddr6[0] && a[1] === vaddr6[1] && a[2] === vaddr6[2] && a[3] === vaddr6[3])
          return this.services[i]!;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** lookup() for AF_INET6: the exact service, else the port-zero service of that address. */
  lookup6(protocol: number, vaddr6: Uint32Array, vport: number): Service | null {
    const s = this.find6(protocol, vaddr6, vport);
    if (s !== null || this.nullServices === 0) return s;
    return this.find6(protocol, vaddr6, 0);
  }

  /** __ip_vs_svc_fwm_find(): the firewall-mark service, or null. */
  lookupFwmark(fwmark: number): Service | null {
    return this.fwmarks.get(fwmark) ?? null;
  }
}
