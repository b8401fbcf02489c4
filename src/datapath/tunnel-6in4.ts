// Tunnel6in4: LVS-TUN of an IPv6 service toward an IPv4 real server, ip_vs_tunnel_xmit() with
// cp->af = AF_INET6 (ip_vs_xmit.c; kernel 3.18 "ipvs: Supporting mixed address families"): the
// client's IPv6 packet (its hop limit already decremented) inside an outer IPv4 header, protocol
// 41 (IPPROTO_IPV6, what a sit device decapsulates), or outer IPv4 + UDP + GUE with proto_ctype 41,
// from the director's IPv4 address toward RIP, built in place in the frame's headroom; the
// EtherType becomes IPv4's. The real server answers the client directly.
//
//   before:        [vnet][eth 0x86dd][inner IPv6 40 + ext ...]
//   after:         [vnet][eth 0x0800][outer IPv4 20][inner IPv6 ...]
//   after (GUE):   [vnet][eth 0x0800][outer IPv4 20][UDP 8][GUE 4(+8)][inner IPv6 ...]
//
// The outer header as ip_vs_prepare_tunneled_skb() prepares it for an IPv6 packet: tos = the
// traffic class, ttl = the hop limit, frag_off 0 (*df = 0: an IPv6 packet has no DF to copy),
// so ip_select_ident() numbers it; saddr = the route's source toward RIP (do_output_route4()).
//
// PMTU as __ip_vs_get_out_rt(skb_af = AF_INET6, IP_VS_RT_MODE_TUNNEL): the room is the output
// device's MTU less 20 (and GUE), less than 68 fails the route; ensure_mtu_is_adequate() then
// applies IPv6's rule (__mtu_check_toobig_v6()): a packet over the room gets ICMPv6 packet too big
// with mtu = the room from the VIP (first fragment only, TunnelXmit6.pktTooBig) and is dropped, so
// the outer packet never needs fragments.

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import { TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { ETH_P_IP } from '../packet/ethernet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { gueLen, gueRemcsum } from './gue-encap.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import { gueOver4, IPH, IPPROTO_IPV6, setEthType, writeOuter4 } from './tunnel-outer.ts';
import type { TunnelXmit6 } from './tunnel-xmit6.ts';
import type { Xmit } from './xmit.ts';

export class Tunnel6in4 {
  /** ip_select_ident(): the outer packets' ids (never DF, so always numbered). */
  private ipId = 1;

  constructor(
    private readonly xmit: Xmit,
    /** The IPv6 transmitter: its ICMPv6 packet too big errors (the inner family's rule). */
    private readonly tun6: TunnelXmit6,
  ) {}

  /** Encapsulate the IPv6 packet toward the IPv4 dest and send it; DROP_NONE or the drop reason. */
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest): number {
    const daddr = dest.addr >>> 0;
    const xmit = this.xmit;
    const port = xmit.route.lookup(daddr);
    if (port < 0) return DROP_NO_ROUTE;
    const saddr = xmit.arpSender(port, xmit.route.nextHop) >>> 0;
    const remcsum = gueRemcsum(dest, f);
    const hlen = IPH + gueLen(dest, remcsum);
    const mtu = xmit.mtus[port]! - hlen;
    if (mtu < 68) return DROP_NO_ROUTE; // "mtu less than 68": __ip_vs_get_out_rt() fails the route
    if (f.gso !== 0) return DROP_TUNNEL_GSO;
    const innerLen = f.ipTotalLen;
    if (innerLen > mtu) {
      this.tun6.pktTooBig(buf, f, mtu);
      return DROP_FRAG_NEEDED;
    }
    const vnet = flags & RXF_VNET_HDR;
    const l2 = f.l3Off - f.frameOff;
    const no = tunnelHeadroom(buf, f.frameOff, l2, hlen, vnet, remcsum);
    const o = no + l2;
    setEthType(buf, o, ETH_P_IP);
    const gue = dest.tunType === TUN_TYPE_GUE;
    this.ipId = (this.ipId + 1) & 0xffff;
    writeOuter4(buf, o, f.ipTos, innerLen + hlen, this.ipId, 0, f.ttl, gue ? IPPROTO_UDP : IPPROTO_IPV6, saddr, daddr);
    if (gue) {
      const lco = f.csumPartial !== 0 && !remcsum;
      gueOver4(buf, f, o + IPH, innerLen + hlen - IPH, dest, remcsum, lco, IPPROTO_IPV6, saddr, daddr);
    }
    return xmit.toAddr(buf, no, f.frameLen + hlen, vnet, daddr);
  }
}
