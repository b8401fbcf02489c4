// TunnelXmit: LVS-TUN's transmitter, ip_vs_tunnel_xmit() and ipvs_gue_encap() (ip_vs_xmit.c): the
// client's IPv4 packet (its TTL already decremented) inside an outer IPv4 header, protocol 4 (IPIP),
// or outer IPv4 + UDP + GUE header, from the director's address toward the real server, built in
// place in the frame's headroom (RX_HEADROOM, packet-io.ts) and handed to Xmit for the next hop.
//
//   before:        [vnet][eth][inner IP ...]
//   after (IPIP):  [vnet][eth][outer IP 20][inner IP ...]             frame start moved 20 bytes back
//   after (GUE):   [vnet][eth][outer IP 20][UDP 8][GUE 4(+8)][inner IP ...]
//
// PMTU as __ip_vs_get_out_rt() and ensure_mtu_is_adequate() with pmtu_disc=1 (the default): the
// room for the inner packet is the output device's MTU less the tunnel headers; an inner packet
// with DF over it gets ICMP fragmentation-needed with that room (icmp_send() from the VIP) and is
// dropped; without DF the outer packet leaves with DF clear and is fragmented as ip_fragment()
// does it (tunnel-frag.ts). An IPv6 real server of an IPv4 service is tunnel-4in6.ts's (to6).

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import { AF_INET, TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { buildIcmpFragNeeded, icmpErrorAllowed } from '../packet/build-icmp.ts';
import type { ParsedFrame } from '../packet/frame.ts';
import { IP_DF } from '../packet/ipv4.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { completePartialCsum, TunnelFrag } from './tunnel-frag.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import { gueOver4, IPH, IPPROTO_IPIP, writeOuter4 } from './tunnel-outer.ts';
import { gueLen, gueRemcsum } from './gue-encap.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';

/** A transmitter of one connection's packets toward its real server: DROP_NONE or a drop reason. */
export interface TunnelSend {
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest): number;
  /** Per batch: slots of the previous batch are free again. */
  beginBatch(): void;
}

const ICMP_SLOTS = 16;
const ICMP_SLOT_BYTES = 640;

export class TunnelXmit {
  /** Frames made in this batch (ICMP errors), valid until the batch is flushed. */
  private readonly icmpBuf = Buffer.alloc(ICMP_SLOTS * ICMP_SLOT_BYTES);
  private icmpUsed = 0;
  private ipId = 1;
  readonly frag: TunnelFrag;
  /** ICMP fragmentation-needed errors sent, and packets sent fragmented. */
  fragNeededSent = 0;
  /** The transmitter toward IPv6 real servers (4in6), set by the engine when it has an IPv6 path. */
  to6: TunnelSend | null = null;

  constructor(
    private readonly xmit: Xmit,
    /** MTU of each output port (PortInfo.mtu). */
    private readonly mtus: Int32Array,
    private readonly owned: OwnedAddrs,
  ) {
    this.frag = new TunnelFrag(xmit);
  }

  /** Per batch: the ICMP and fragment slots are free again once the previous batch was flushed. */
  beginBatch(): void {
    this.icmpUsed = 0;
    this.frag.beginBatch();
    this.to6?.beginBatch();
  }

  /**
   * Encapsulate the parsed packet toward dest (the connection's real server) and send it.
   * `flags` are the frame's RX flags. Returns DROP_NONE or the drop reason.
   */
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest): number {
    // An IPv6 real server of an IPv4 service: ip_vs_tunnel_xmit_v6() with an IPv4 inner packet
    // (cp->daf, 4in6, tunnel-4in6.ts), through the IPv6 path when the engine has one.
    if (dest.af !== AF_INET) return this.to6 === null ? DROP_NO_ROUTE : this.to6.send(buf, f, flags, dest);
    const daddr = dest.addr >>> 0;
    const xmit = this.xmit;
    const port = xmit.route.lookup(daddr);
    if (port < 0) return DROP_NO_ROUTE;
    // do_output_route4(): the source the route picks, the device's address toward the next hop.
    const saddr = xmit.arpSender(port, xmit.route.nextHop) >>> 0;
    const gue = dest.tunType === TUN_TYPE_GUE;
    // ipvs_gue_encap(): the remote-checksum option only for a packet whose checksum is still partial.
    const remcsum = gueRemcsum(dest, f);
    const hlen = IPH + gueLen(dest, remcsum);
    const devMtu = this.mtus[port]!;
    const mtu = devMtu - hlen;
    if (mtu < 68) return DROP_NO_ROUTE; // "mtu less than 68": __ip_vs_get_out_rt() fails the route
    const innerLen = f.ipTotalLen;
    const vnet = flags & RXF_VNET_HDR;
    if (f.gso !== 0) return DROP_TUNNEL_GSO;
    const tooBig = innerLen > mtu;
    if (tooBig && f.dontFrag !== 0) {
      this.fragNeeded(buf, f, mtu);
      return DROP_FRAG_NEEDED;
    }
    // A packet that leaves in fragments, or with its checksum carried by the remote end, gets its
    // inner checksum now, as skb_checksum_help() before ip_fragment() does.
    if (f.csumPartial !== 0 && tooBig && !remcsum) completePartialCsum(buf, f);

    const l2 = f.l3Off - f.frameOff;
    const no = tunnelHeadroom(buf, f.frameOff, l2, hlen, vnet, tooBig || remcsum);

    // The outer header (ip_vs_tunnel_xmit): TOS and DF copied from the inner header, its TTL,
    // ip_select_ident(): id 0 with DF (the packet is not yet ignore_df), else a counter.
    const o = no + l2;
    const df = f.dontFrag !== 0 ? IP_DF : 0;
    if (df === 0) this.ipId = (this.ipId + 1) & 0xffff;
    const proto = gue ? IPPROTO_UDP : IPPROTO_IPIP;
    writeOuter4(buf, o, f.ipTos, innerLen + hlen, df !== 0 ? 0 : this.ipId, df, f.ttl, proto, saddr, daddr);
    if (gue) {
      const lco = f.csumPartial !== 0 && !tooBig && !remcsum;
      gueOver4(buf, f, o + IPH, innerLen + hlen - IPH, dest, remcsum, lco, IPPROTO_IPIP, saddr, daddr);
    }

    const len = f.frameLen + hlen;
    if (tooBig) return this.frag.send(buf, no, l2, len, devMtu, daddr);
    return xmit.toAddr(buf, no, len, vnet, daddr);
  }

  /** icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu) from the VIP back to the client. */
  fragNeeded(buf: Buffer, f: ParsedFrame, mtu: number): void {
    if (this.icmpUsed >= ICMP_SLOTS || !icmpErrorAllowed(buf, f)) return;
    const off = this.icmpUsed++ * ICMP_SLOT_BYTES;
    this.ipId = (this.ipId + 1) & 0xffff;
    const n = buildIcmpFragNeeded(this.icmpBuf, off, buf, f, mtu, f.daddr, this.ipId);
    // Back the way the packet came, from the VIP's port (as ip_vs_leave()'s port unreachable).
    const port = this.owned.portOf(f.daddr);
    const m = this.xmit.macs;
    for (let i = 0; i < 6; i++) this.icmpBuf[off + 6 + i] = m[port * 6 + i]!;
    this.fragNeededSent++;
    this.xmit.queue(port, this.icmpBuf, off, n, 0);
  }
}
