// TunnelXmit6: LVS-TUN's IPv6 transmitter, ip_vs_tunnel_xmit_v6() (ip_vs_xmit.c): the client's IPv6
// packet (its hop limit already decremented by __ip_vs_get_out_rt_v6()) inside an outer IPv6
// header, next header 41 (IPPROTO_IPV6, "ip6ip6"), from the director's address toward the real
// server, built in place in the frame's headroom (tunnel-headroom.ts) and handed to Xmit6 for the
// next hop the connection keeps.
//
//   before:  [vnet][eth][inner IPv6 40 + ext][L4 ...]
//   after:   [vnet][eth][outer IPv6 40][inner IPv6 40 + ext][L4 ...]   frame start moved 40 bytes back
//
// The outer header as ip_vs_tunnel_xmit_v6() writes it after ip_vs_prepare_tunneled_skb():
//   version 6, traffic class = the inner one (ipv6_change_dsfield(iph, 0, ipv6_get_dsfield(old))),
//   flow label 0 (memset(&iph->flow_lbl, 0)), payload length = the inner packet's 40 + payload,
//   next header IPPROTO_IPV6, hop limit = the inner (decremented) hop limit, saddr = the route's
//   source toward the real server (__ip_vs_route_output_v6() -> ipv6_dev_get_saddr()), daddr = RIP6.
//
// PMTU as __ip_vs_get_out_rt_v6() with IP_VS_RT_MODE_TUNNEL: the room for the inner packet is the
// output device's MTU less 40, a route with less than IPV6_MIN_MTU (1280) of room fails; then
// ensure_mtu_is_adequate() -> __mtu_check_toobig_v6(): IPv6 is never fragmented on the way, so
// an inner packet over the room gets ICMPv6 packet too big with mtu = the room (icmpv6_send()
// from the VIP, on a first fragment only) and is dropped.
//
// GUE over IPv6 (--tun-type gue toward an IPv6 real server) is not done: refused by the control
// plane (dest-ops.ts). A real server of the other family than the service (IPv6 client packet
// inside IPv4, 6in4) is a counted tunnel_family drop.

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_FAMILY, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { AF_INET6, type Dest } from '../model/dest.ts';
import { wr16, wr32 } from '../packet/bytes.ts';
import { buildIcmp6PktTooBig, ICMP6_ERROR_MAX_FRAME, icmp6ErrorAllowed, IPV6_MIN_MTU } from '../packet/build-icmp6.ts';
import { ICMPV6_PKT_TOOBIG } from '../packet/icmp6.ts';
import { writeAddr6 } from '../packet/ipv6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';

const IPPROTO_IPV6 = 41;
const IP6H = 40;

const ICMP_SLOTS = 16;
const ICMP_SLOT_BYTES = (ICMP6_ERROR_MAX_FRAME + 7) & ~7;

export class TunnelXmit6 {
  /** Packet too big errors made in this batch, valid until the batch is flushed. */
  private readonly icmpBuf = Buffer.alloc(ICMP_SLOTS * ICMP_SLOT_BYTES);
  private icmpUsed = 0;
  /** The real server's address, copied out of the connection table for the source selection. */
  private readonly rip = new Uint32Array(4);
  /** ICMPv6 packet too big errors sent. */
  pktTooBigSent = 0;

  constructor(
    private readonly xmit: Xmit,
    private readonly x6: Xmit6,
    private readonly owned: OwnedAddrs,
  ) {}

  /** Per batch: the ICMPv6 slots are free again once the previous batch was flushed. */
  beginBatch(): void {
    this.icmpUsed = 0;
  }

  /**
   * Encapsulate the parsed packet toward dest, whose address is daddrs[at .. at + 3], through
   * `hop` (Xmit6.resolve(): port << 16 | neighbour number), and send it. `flags` are the frame's
   * RX flags. Returns DROP_NONE or the drop reason.
   */
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest, hop: number, daddrs: Uint32Array, at: number): number {
    if (dest.af !== AF_INET6) return DROP_TUNNEL_FAMILY;
    const port = hop >>> 16;
    // The source the route picks toward the real server, ipv6_dev_get_saddr() on the output device:
    // the director's kernel address there (the DIP6), else the address tsvs speaks from there.
    let saddr = this.x6.dips[port] ?? null;
    if (saddr === null) {
      const rip = this.rip;
      for (let i = 0; i < 4; i++) rip[i] = daddrs[at + i]!;
      saddr = this.x6.nsSender(port, rip);
    }
    if (saddr === null) return DROP_NO_ROUTE;
    const mtu = this.xmit.mtus[port]! - IP6H;
    if (mtu < IPV6_MIN_MTU) return DROP_NO_ROUTE; // "mtu less than 1280": the route fails
    if (f.gso !== 0) return DROP_TUNNEL_GSO; // virtio_net_hdr has no GSO type for IPv6 in IPv6
    const innerLen = f.ipTotalLen;
    if (innerLen > mtu) {
      this.pktTooBig(buf, f, mtu);
      return DROP_FRAG_NEEDED;
    }
    const vnet = flags & RXF_VNET_HDR;
    const l2 = f.l3Off - f.frameOff;
    const no = tunnelHeadroom(buf, f.frameOff, l2, IP6H, vnet, false);
    const o = no + l2;
    wr32(buf, o, (0x60000000 | (f.ipTos << 20)) >>> 0);
    wr16(buf, o + 4, innerLen);
    buf[o + 6] = IPPROTO_IPV6;
    buf[o + 7] = f.ttl;
    writeAddr6(buf, o + 8, saddr, 0);
    writeAddr6(buf, o + 24, daddrs, at);
    return this.x6.sendVia(hop, buf, no, f.frameLen + IP6H, vnet);
  }

  /** icmpv6_send(ICMPV6_PKT_TOOBIG, 0, mtu) from the VIP back to the client, on the VIP's port. */
  private pktTooBig(buf: Buffer, f: ParsedFrame, mtu: number): void {
    if (this.icmpUsed >= ICMP_SLOTS || !icmp6ErrorAllowed(buf, f, ICMPV6_PKT_TOOBIG)) return;
    const off = this.icmpUsed++ * ICMP_SLOT_BYTES;
    const n = buildIcmp6PktTooBig(this.icmpBuf, off, buf, f, mtu, f.daddr6);
    const port = this.owned.portOf6(f.daddr6);
    const m = this.xmit.macs;
    for (let i = 0; i < 6; i++) this.icmpBuf[off + 6 + i] = m[port * 6 + i]!;
    this.pktTooBigSent++;
    this.xmit.queue(port, this.icmpBuf, off, n, 0);
  }
}
