// Xmit: the last step of the director's packet path (what ip_vs_xmit.c leaves to the kernel's
// ip_finish_output2 -> neigh_output): pick the output port and next hop, write the Ethernet
// addresses, and queue the frame, or hold it in the ARP table until its next hop resolves.

import { DROP_NONE, DROP_NEIGH_UNRESOLVED, DROP_NO_ROUTE, DROP_TX_FULL, type DropCounters } from '../lib/drops.ts';
import { buildArpRequest } from '../packet/build-arp.ts';
import { prefixMask, type EngineConfig } from './engine-config.ts';
import { NeighTable } from './neigh.ts';
import type { NeighSink } from './neigh-state.ts';
import type { PacketIo } from './packet-io.ts';
import { RouteTable } from './route.ts';
import type { Capture } from './capture.ts';

export class Xmit implements NeighSink {
  readonly route: RouteTable;
  readonly neigh: NeighTable;
  /** Port MACs, 6 bytes each, port i at i * 6. */
  readonly macs: Uint8Array;
  /** Port MTUs (dst_mtu() of a route out of that port). */
  readonly mtus: Int32Array;
  /** Fallback ARP sender per port (its first owned address, else its first subnet's address). */
  private readonly arpSrc: Uint32Array;
  /** ARP sender per connected subnet (see arpSources), with its port and mask. */
  private readonly arpSubnetSrc: Uint32Array;
  private readonly arpSubnetMask: Uint32Array;
  private readonly arpSubnetPort: Int32Array;
  private readonly scratch: Buffer;
  private nowMs: number;
  txFrames: number;
  /** ARP requests sent (resolutions and re-probes): what a handed-over neighbour table saves. */
  arpRequests: number;
  /** Frames that had to wait for their next hop to resolve (held in the ARP table or dropped). */
  neighWaits: number;
  /** On-demand capture of frames sent (null when none runs). */
  capture: Capture | null = null;
  /**
   * Owned addresses held silent (a VRRP BACKUP, src/daemon/vrrp-state.ts): never an ARP sender.
   * A request from the VIP would update the neighbours' caches (arp_process() refreshes the
   * sender's entry of any request addressed to it) and pull the VIP back from the MASTER.
   */
  heldSenders: readonly number[] = [];

  constructor(
    private readonly io: PacketIo,
    cfg: EngineConfig,
    private readonly drops: DropCounters,
  ) {
    this.route = new RouteTable(cfg);
    this.neigh = new NeighTable(this);
    this.macs = new Uint8Array(io.ports.length * 6);
    io.ports.forEach((p, i) => this.macs.set(p.mac.subarray(0, 6), i * 6));
    this.mtus = Int32Array.from(io.ports.map((p) => p.mtu));
    this.arpSrc = Uint32Array.from(cfg.ports.map((p) => p.owned[0] ?? p.subnets[0]?.[0] ?? 0));
    const subnetSrc = arpSources(cfg);
    this.arpSubnetSrc = Uint32Array.from(subnetSrc.map((e) => e.src));
    this.arpSubnetMask = Uint32Array.from(subnetSrc.map((e) => e.mask));
    this.arpSubnetPort = Int32Array.from(subnetSrc.map((e) => e.port));
    this.scratch = Buffer.alloc(64);
    this.nowMs = 0;
    this.txFrames = 0;
    this.arpRequests = 0;
    this.neighWaits = 0;
  }

  /** Whether the Ethernet frame at buf[off] is addressed to port's own MAC (a unicast to us). */
  toPortMac(buf: Uint8Array, off: number, port: number): boolean {
    const m = this.macs;
    const at = port * 6;
    for (let i = 0; i < 6; i++) if (buf[off + i] !== m[at + i]) return false;
    return true;
  }

  setNow(nowMs: number): void {
    this.nowMs = nowMs;
  }

  /**
   * Route the IPv4 frame at buf[off, off+len) toward daddr and queue it. The frame's Ethernet
   * header starts at off (an 802.1Q tag, if any, is kept). Returns DROP_NONE or a drop reason.
   */
  toAddr(buf: Buffer, off: number, len: number, flags: number, daddr: number): number {
    daddr >>>= 0; // the caller may pass it as int32 (src/packet/bytes.ts: addresses as arguments)
    const port = this.route.lookup(daddr);
    if (port < 0) return DROP_NO_ROUTE;
    const nh = this.route.nextHop;
    const m = port * 6;
    const macs = this.macs;
    buf[off + 6] = macs[m]!;
    buf[off + 7] = macs[m + 1]!;
    buf[off + 8] = macs[m + 2]!;
    buf[off + 9] = macs[m + 3]!;
    buf[off + 10] = macs[m + 4]!;
    buf[off + 11] = macs[m + 5]!;
    const slot = this.neigh.lookup(nh);
    if (slot < 0) {
      this.neighWaits++;
      return this.neigh.enqueue(nh, port, buf, off, len, flags, this.nowMs) ? DROP_NONE : DROP_NEIGH_UNRESOLVED;
    }
    this.neigh.writeMac(slot, buf, off);
    return this.queue(port, buf, off, len, flags);
  }

  /** Queue a frame whose Ethernet header is already complete. */
  queue(port: number, buf: Buffer, off: number, len: number, flags: number): number {
    if (!this.io.queueTx(port, buf, off, len, flags)) return DROP_TX_FULL;
    this.txFrames++;
    if (this.capture !== null) this.capture.captureOut(buf, off, len);
    return DROP_NONE;
  }

  // NeighSink -----------------------------------------------------------------------------

  arpRequest(port: number, ip: number): void {
    let src = this.arpSender(port, ip);
    // Held silent: an ARP probe (sender 0.0.0.0, RFC 5227), which arp_process() answers without
    // learning anything from it.
    if (this.heldSenders.includes(src)) src = 0;
    const n = buildArpRequest(this.scratch, 0, this.macs, port * 6, src, ip, -1);
    this.arpRequests++;
    // The scratch frame is reused at once: send it now rather than holding it until flush().
    if (this.io.queueTx(port, this.scratch, 0, n, 0)) this.io.flush();
  }

  /**
   * The sender address of an ARP request for target on port, as arp_solicit() picks it with
   * arp_announce=0 for a forwarded packet: inet_select_addr(dev, target, RT_SCOPE_LINK), an
   * address of the device in the target's subnet, else the device's first address. This matters
   * for LVS-DR: a real server holds the VIP on lo, so an ARP request sent from the VIP has a
   * local address as its source and the real server drops it as a martian (fib_validate_source()
   * in net/ipv4/fib_frontend.c) without answering.
   */
  arpSender(port: number, target: number): number {
    const n = this.arpSubnetSrc.length;
    for (let i = 0; i < n; i++) {
      const mask = this.arpSubnetMask[i]!;
      const src = this.arpSubnetSrc[i]!;
      if (this.arpSubnetPort[i] === port && (target & mask) >>> 0 === (src & mask) >>> 0) return src;
    }
    return this.arpSrc[port]!;
  }

  transmit(port: number, buf: Buffer, off: number, len: number, flags: number): void {
    if (this.io.queueTx(port, buf, off, len, flags)) {
      this.txFrames++;
      if (this.capture !== null) this.capture.captureOut(buf, off, len);
      this.io.flush();
    } else this.drops.count(DROP_TX_FULL);
  }

  dropUnresolved(): void {
    this.drops.count(DROP_NEIGH_UNRESOLVED);
  }
}

/**
 * For each connected subnet, the address that speaks for tsvs in it: an owned address inside the
 * subnet, else the subnet's own address when it names a host (`subnet 192.168.99.5/24`, the
 * kernel's DIP written as `ip addr` does) rather than the network (`subnet 192.168.99.0/24`).
 * Subnets with neither use the port's fallback.
 */
function arpSources(cfg: EngineConfig): { src: number; mask: number; port: number }[] {
  const out: { src: number; mask: number; port: number }[] = [];
  cfg.ports.forEach((p, port) => {
    for (const [addr, len] of p.subnets) {
      const mask = prefixMask(len);
      const net = (addr & mask) >>> 0;
      const inside = p.owned.find((a) => (a & mask) >>> 0 === net);
      const host = (addr & ~mask) >>> 0;
      const src = inside ?? (host !== 0 && host !== ~mask >>> 0 ? addr >>> 0 : undefined);
      if (src !== undefined) out.push({ src, mask, port });
    }
  });
  return out;
}
