// Tunnel4in6: LVS-TUN of an IPv4 service toward an IPv6 real server, ip_vs_tunnel_xmit_v6() with
// cp->af = AF_INET (ip_vs_xmit.c; kernel 3.18 "ipvs: Supporting mixed address families"): the
// client's IPv4 packet (its TTL already decremented) inside an outer IPv6 header, next header 4
// (IPPROTO_IPIP, what ip_vs_prepare_tunneled_skb() names an IPv4 packet), or outer IPv6 + UDP +
// GUE with proto_ctype 4, from the director's IPv6 address toward RIP6, built in place in the
// frame's headroom; the EtherType becomes IPv6's. The real server answers the client directly.
//
//   before:        [vnet][eth 0x0800][inner IPv4 ...]
//   after:         [vnet][eth 0x86dd][outer IPv6 40][inner IPv4 ...]
//   after (GUE):   [vnet][eth 0x86dd][outer IPv6 40][UDP 8][GUE 4(+8)][inner IPv4 ...]
//
// The outer header: traffic class = the inner TOS, flow label 0, hop limit = the inner TTL,
// payload length = the inner total length (+ UDP/GUE), saddr = ipv6_dev_get_saddr() on the
// output device (tunnel-outer.ts outerSource6).
//
// PMTU as __ip_vs_get_out_rt_v6(skb_af = AF_INET, IP_VS_RT_MODE_TUNNEL): the room is the output
// device's MTU less the outer IPv6 header (and GUE), less than IPV6_MIN_MTU of room fails the
// route; ensure_mtu_is_adequate() then applies the rules of the packet's own family, IPv4's: with
// DF over the room, ICMP fragmentation needed with mtu = the room from the VIP, dropped. Without DF
// the kernel sends it with ignore_df and ip6_fragment() cuts the outer IPv6 packet into fragments
// (tunnel-frag6.ts).
//
//   too big, no DF: [vnet][eth 0x86dd][outer IPv6 40, nh 44][frag 8][UDP + GUE]?[inner IPv4 ...] -> fragments

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import { TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { IPV6_MIN_MTU } from '../packet/build-icmp6.ts';
import { ETH_P_IPV6 } from '../packet/ethernet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { gueLen, gueRemcsum } from './gue-encap.ts';
import { completePartialCsum } from './tunnel-frag.ts';
import { FRAGH, TunnelFrag6 } from './tunnel-frag6.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import { gueOver6, IP6H, IPPROTO_IPIP, outerSource6, setEthType, writeOuter6 } from './tunnel-outer.ts';
import type { TunnelSend, TunnelXmit } from './tunnel-xmit.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';

export class Tunnel4in6 implements TunnelSend {
  /** The outer IPv6 packets of IPv4 packets without DF over the room (ip6_fragment()). */
  readonly frag: TunnelFrag6;

  constructor(
    /** The IPv4 transmitter: its ICMP fragmentation-needed errors (the inner family's rule). */
    private readonly tun4: TunnelXmit,
    private readonly xmit: Xmit,
    private readonly x6: Xmit6,
  ) {
    this.frag = new TunnelFrag6(x6);
  }

  /** Per batch: the fragment slots are free again once the previous batch was flushed. */
  beginBatch(): void {
    this.frag.beginBatch();
  }

  /** Encapsulate the IPv4 packet toward the IPv6 dest and send it; DROP_NONE or the drop reason. */
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest): number {
    const rip = dest.addr6;
    const hop = this.x6.resolve(rip, 0);
    if (hop < 0) return -hop;
    const port = hop >>> 16;
    const saddr = outerSource6(this.x6, port, rip);
    if (saddr === null) return DROP_NO_ROUTE;
    const remcsum = gueRemcsum(dest, f);
    const hlen = IP6H + gueLen(dest, remcsum);
    const mtu = this.xmit.mtus[port]! - hlen;
    if (mtu < IPV6_MIN_MTU) return DROP_NO_ROUTE; // "mtu less than 1280": the route fails
    if (f.gso !== 0) return DROP_TUNNEL_GSO;
    const innerLen = f.ipTotalLen;
    const tooBig = innerLen > mtu;
    if (tooBig && f.dontFrag !== 0) {
      this.tun4.fragNeeded(buf, f, mtu);
      return DROP_FRAG_NEEDED;
    }
    // A packet that leaves in fragments gets its inner checksum now (skb_checksum_help() in
    // ip6_fragment()), unless the remote end completes it (GUE remote checksum).
    if (f.csumPartial !== 0 && tooBig && !remcsum) completePartialCsum(buf, f);
    const fh = tooBig ? FRAGH : 0; // room for the fragment header ip6_fragment() inserts
    const vnet = flags & RXF_VNET_HDR;
    const l2 = f.l3Off - f.frameOff;
    const no = tunnelHeadroom(buf, f.frameOff, l2, hlen + fh, vnet, tooBig || remcsum);
    const o = no + l2;
    setEthType(buf, o, ETH_P_IPV6);
    const gue = dest.tunType === TUN_TYPE_GUE;
    const nh = gue ? IPPROTO_UDP : IPPROTO_IPIP;
    writeOuter6(buf, o, f.ipTos, innerLen + hlen - IP6H, nh, f.ttl, saddr, rip, 0);
    if (gue) {
      const lco = f.csumPartial !== 0 && !tooBig && !remcsum;
      gueOver6(buf, f, o + IP6H + fh, innerLen + hlen - IP6H, dest, remcsum, lco, IPPROTO_IPIP, saddr, rip);
    }
    if (tooBig) {
      buf[o + IP6H] = nh; // the fragment header's next header; TunnelFrag6 fills the rest
      return this.frag.send(buf, no, l2, f.frameLen + hlen + fh, this.xmit.mtus[port]!, hop);
    }
    return this.x6.sendVia(hop, buf, no, f.frameLen + hlen, vnet);
  }
}
