// TunnelXmit6: LVS-TUN's IPv6 transmitter, ip_vs_tunnel_xmit_v6() and ipvs_gue_encap()
// (ip_vs_xmit.c): the client's IPv6 packet (its hop limit already decremented by
// __ip_vs_get_out_rt_v6()) inside an outer IPv6 header, next header 41 (IPPROTO_IPV6, "ip6ip6"),
// or outer IPv6 + UDP + GUE (proto_ctype 41), from the director's address toward the real server,
// built in place in the frame's headroom (tunnel-headroom.ts) and handed to Xmit6 for the next hop
// the connection keeps.
//
//   before:        [vnet][eth][inner IPv6 40 + ext][L4 ...]
//   after:         [vnet][eth][outer IPv6 40][inner IPv6 40 + ext][L4 ...]   frame start moved 40 back
//   after (GUE):   [vnet][eth][outer IPv6 40][UDP 8][GUE 4(+8)][inner IPv6 ...]
//
// The outer header as ip_vs_tunnel_xmit_v6() writes it after ip_vs_prepare_tunneled_skb()
// (tunnel-outer.ts writeOuter6): traffic class = the inner one, flow label 0, the inner
// (decremented) hop limit, saddr = the route's source toward the real server, daddr = RIP6.
//
// PMTU as __ip_vs_get_out_rt_v6() with IP_VS_RT_MODE_TUNNEL: the room for the inner packet is the
// output device's MTU less the tunnel headers, a route with less than IPV6_MIN_MTU (1280) of room
// fails; then ensure_mtu_is_adequate() -> __mtu_check_toobig_v6(): IPv6 is never fragmented on
// the way, so an inner packet over the room gets ICMPv6 packet too big with mtu = the room
// (icmpv6_send() from the VIP, on a first fragment only) and is dropped. An IPv4 real server of an
// IPv6 service (6in4) is tunnel-6in4.ts's, an IPv6 one of an IPv4 service (4in6) tunnel-4in6.ts's.

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import { TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { buildIcmp6PktTooBig, ICMP6_ERROR_MAX_FRAME, icmp6ErrorAllowed, IPV6_MIN_MTU } from '../packet/build-icmp6.ts';
import { ICMPV6_PKT_TOOBIG } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import { gueOver6, IP6H, IPPROTO_IPV6, outerSource6, writeOuter6 } from './tunnel-outer.ts';
import { gueLen, gueRemcsum } from './gue-encap.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';

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
    const port = hop >>> 16;
    const rip = this.rip;
    for (let i = 0; i < 4; i++) rip[i] = daddrs[at + i]!;
    const saddr = outerSource6(this.x6, port, rip);
    if (saddr === null) return DROP_NO_ROUTE;
    const remcsum = gueRemcsum(dest, f);
    const hlen = IP6H + gueLen(dest, remcsum);
    const mtu = this.xmit.mtus[port]! - hlen;
    if (mtu < IPV6_MIN_MTU) return DROP_NO_ROUTE; // "mtu less than 1280": the route fails
    if (f.gso !== 0) return DROP_TUNNEL_GSO; // virtio_net_hdr has no GSO type for IPv6 in IPv6
    const innerLen = f.ipTotalLen;
    if (innerLen > mtu) {
      this.pktTooBig(buf, f, mtu);
      return DROP_FRAG_NEEDED;
    }
    const vnet = flags & RXF_VNET_HDR;
    const l2 = f.l3Off - f.frameOff;
    const no = tunnelHeadroom(buf, f.frameOff, l2, hlen, vnet, remcsum);
    const o = no + l2;
    const gue = dest.tunType === TUN_TYPE_GUE;
    writeOuter6(buf, o, f.ipTos, innerLen + hlen - IP6H, gue ? IPPROTO_UDP : IPPROTO_IPV6, f.ttl, saddr, daddrs, at);
    if (gue) {
      const lco = f.csumPartial !== 0 && !remcsum;
      gueOver6(buf, f, o + IP6H, innerLen + hlen - IP6H, dest, remcsum, lco, IPPROTO_IPV6, saddr, rip);
    }
    return this.x6.sendVia(hop, buf, no, f.frameLen + hlen, vnet);
  }

  /** icmpv6_send(ICMPV6_PKT_TOOBIG, 0, mtu) from the VIP back to the client, on the VIP's port. */
  pktTooBig(buf: Buffer, f: ParsedFrame, mtu: number): void {
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
