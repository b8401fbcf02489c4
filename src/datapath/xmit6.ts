// Xmit6: the last step of the IPv6 packet path (ip6_finish_output2 -> neigh_output in the kernel):
// the output port and next hop from RouteTable6, the Ethernet addresses from an IPv6 neighbour
// table, frames held until their next hop resolves. Resolution sends a neighbour solicitation
// (ndisc_solicit -> ndisc_send_ns) where IPv4 sends an ARP request; the table itself is neigh.ts's,
// keyed by the number Addr6Index gives each next hop. Frames go out through the IPv4 Xmit's queue
// (one TX queue, one capture, one frame count).

import { DROP_NEIGH_UNRESOLVED, DROP_NO_ROUTE, DROP_NONE } from '../lib/drops.ts';
import { formatInet6 } from '../lib/inet6.ts';
import { buildNeighSolicit } from '../packet/build-ndisc.ts';
import { Addr6Index } from './addr6-index.ts';
import type { EngineConfig } from './engine-config.ts';
import { NeighTable } from './neigh.ts';
import type { NeighSink } from './neigh-state.ts';
import type { PacketIo } from './packet-io.ts';
import { prefixMask6, RouteTable6, sameNet6 } from './route6.ts';
import type { Xmit } from './xmit.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';

/** An address that speaks for tsvs on a port: in the prefix net/mask, or anywhere when mask is all 0. */
interface NsSource {
  readonly port: number;
  readonly addr: Uint32Array;
  readonly mask: Uint32Array;
}

export class Xmit6 implements NeighSink {
  readonly route: RouteTable6;
  readonly neigh: NeighTable;
  readonly index: Addr6Index;
  /** Neighbour solicitations sent. */
  nsRequests: number;
  private readonly sources: readonly NsSource[];
  /**
   * Per port, the director's own kernel address there (the DIP6, a prefix written with a host
   * address: `subnet 2001:db8:99::5/64`), or null: what ipv6_dev_get_saddr() can pick for a
   * packet the director itself sends (a tunnel's outer header); tsvs's owned addresses are not
   * the kernel's.
   */
  readonly dips: readonly (Uint32Array | null)[];
  private readonly target: Uint32Array;
  private readonly scratch: Buffer;
  private nowMs: number;

  constructor(
    private readonly io: PacketIo,
    cfg: EngineConfig,
    private readonly xmit: Xmit,
  ) {
    this.route = new RouteTable6(cfg);
    this.neigh = new NeighTable(this);
    this.index = new Addr6Index();
    this.sources = nsSources(cfg);
    this.dips = cfg.ports.map((p) => (p.subnets6 ?? []).find(([a, len]) => hasHostPart(a, len))?.[0] ?? null);
    this.target = new Uint32Array(4);
    this.scratch = Buffer.alloc(128);
    this.nsRequests = 0;
    this.nowMs = 0;
  }

  /** The IPv6 neighbours for display (tsvsadm --engine), their addresses as inet_ntop text. */
  list(): { ip: string; mac: string; state: number; port: number }[] {
    const a = new Uint32Array(4);
    return this.neigh.list().map((n) => {
      this.index.addrOf(n.ip, a);
      return { ...n, ip: formatInet6(a) };
    });
  }

  setNow(nowMs: number): void {
    this.nowMs = nowMs;
  }

  /**
   * Route the IPv6 frame at buf[off, off + len) toward the address w[at .. at + 3] and queue it
   * (or hold it until its next hop resolves). Returns DROP_NONE or a drop reason.
   */
  toAddr6(buf: Buffer, off: number, len: number, flags: number, w: Uint32Array, at: number): number {
    const hop = this.resolve(w, at);
    return hop < 0 ? -hop : this.sendVia(hop, buf, off, len, flags);
  }

  /**
   * The next hop toward w[at .. at + 3]: its port and its neighbour number, port << 16 | number,
   * or minus a drop reason. Routes are compiled once and neighbour numbers are never reused
   * (addr6-index.ts), so a connection may keep the result for its life, as IPVS keeps a dest's
   * route in dest->dest_dst: the IPv6 pipeline resolves once per connection and direction.
   */
  resolve(w: Uint32Array, at: number): number {
    const port = this.route.lookup(w, at);
    if (port < 0) return -DROP_NO_ROUTE;
    const id = this.index.intern(this.route.nextHop, 0);
    return id < 0 ? -DROP_NEIGH_UNRESOLVED : (port << 16) | id;
  }

  /**
   * A connection's next hop kept in hops[id] (ConnTable6.hopIn / hopOut, plus one, 0 = not yet),
   * resolved toward addrs[id << 2 ..] on the connection's first packet in that direction; or
   * minus a drop reason.
   */
  connHop(hops: Int32Array, addrs: Uint32Array, id: number): number {
    let hop = hops[id]! - 1;
    if (hop < 0) {
      hop = this.resolve(addrs, id << 2);
      if (hop >= 0) hops[id] = hop + 1;
    }
    return hop;
  }

  /**
   * Send a connection's frame toward addrs[id << 2 ..] through the next hop kept in hops[id]
   * (ConnTable6.hopIn / hopOut), resolved on the connection's first packet in that direction.
   */
  sendConn(hops: Int32Array, addrs: Uint32Array, id: number, buf: Buffer, f: ParsedFrame, flags: number): number {
    const hop = this.connHop(hops, addrs, id);
    return hop < 0 ? -hop : this.sendVia(hop, buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR);
  }

  /** Queue the frame to a resolved next hop (resolve()), or hold it until the neighbour answers. */
  sendVia(hop: number, buf: Buffer, off: number, len: number, flags: number): number {
    const port = hop >>> 16;
    const id = hop & 0xffff;
    const macs = this.xmit.macs;
    const m = port * 6;
    for (let i = 0; i < 6; i++) buf[off + 6 + i] = macs[m + i]!;
    const slot = this.neigh.lookup(id);
    if (slot < 0) {
      return this.neigh.enqueue(id, port, buf, off, len, flags, this.nowMs) ? DROP_NONE : DROP_NEIGH_UNRESOLVED;
    }
    this.neigh.writeMac(slot, buf, off);
    return this.xmit.queue(port, buf, off, len, flags);
  }

  /** Learn w[0..3] -> the MAC at buf[macOff] on port (an NA, or an NS's source option); sends what waited. */
  learn(w: Uint32Array, port: number, buf: Uint8Array, macOff: number, nowMs: number): void {
    const id = this.index.intern(w, 0);
    if (id >= 0) this.neigh.learn(id, port, buf, macOff, nowMs);
  }

  /** Whether w[0..3] has a neighbour entry (an NA is learned only for those, as ndisc_recv_na does). */
  has(w: Uint32Array): boolean {
    const id = this.index.find(w, 0);
    return id >= 0 && this.neigh.has(id);
  }

  // NeighSink -----------------------------------------------------------------------------

  /** ndisc_solicit(): an NS for neighbour number `id` from this port's address for it. */
  arpRequest(port: number, id: number): void {
    const t = this.target;
    this.index.addrOf(id, t);
    const src = this.nsSender(port, t);
    if (src === null) return;
    const n = buildNeighSolicit(this.scratch, 0, this.xmit.macs, port * 6, -1, src, t);
    this.nsRequests++;
    // The scratch frame is reused at once: send it now rather than holding it until flush().
    if (this.io.queueTx(port, this.scratch, 0, n, 0)) this.io.flush();
  }

  /**
   * The source of an NS for target on port, as ipv6_dev_get_saddr() would pick among the port's
   * addresses: one in the target's prefix (the DIP written as `subnet 2001:db8:99::5/64`, or an
   * owned address there), else the port's first. null when the port has no IPv6 address at all.
   */
  nsSender(port: number, target: Uint32Array): Uint32Array | null {
    let first: Uint32Array | null = null;
    for (const s of this.sources) {
      if (s.port !== port) continue;
      if (sameNet6(s.addr, 0, target, 0, s.mask, 0)) return s.addr;
      first ??= s.addr;
    }
    return first;
  }

  transmit(port: number, buf: Buffer, off: number, len: number, flags: number): void {
    this.xmit.transmit(port, buf, off, len, flags);
  }

  dropUnresolved(): void {
    this.xmit.dropUnresolved();
  }
}

/**
 * Per port, the addresses NS may come from: owned addresses (with the mask of the prefix that
 * holds them, else no prefix) and connected prefixes written with a host address.
 */
function nsSources(cfg: EngineConfig): NsSource[] {
  const out: NsSource[] = [];
  cfg.ports.forEach((p, port) => {
    for (const [addr, len] of p.subnets6 ?? []) {
      const mask = new Uint32Array(4);
      prefixMask6(len, mask, 0);
      for (const o of p.owned6 ?? []) if (sameNet6(o, 0, addr, 0, mask, 0)) out.push({ port, addr: o, mask });
      if (hasHostPart(addr, len)) out.push({ port, addr, mask });
    }
    for (const o of p.owned6 ?? []) out.push({ port, addr: o, mask: new Uint32Array(4) });
  });
  return out;
}

/** Whether addr/len names a host (some bit beyond the prefix set), not just the prefix. */
function hasHostPart(addr: Uint32Array, len: number): boolean {
  const mask = new Uint32Array(4);
  prefixMask6(len, mask, 0);
  let host = 0;
  for (let i = 0; i < 4; i++) host |= addr[i]! & ~mask[i]!;
  return host !== 0;
}
