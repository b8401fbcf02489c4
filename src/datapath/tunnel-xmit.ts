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
// does it (tunnel-frag.ts).

import { DROP_FRAG_NEEDED, DROP_NO_ROUTE, DROP_TUNNEL_FAMILY, DROP_TUNNEL_GSO } from '../lib/drops.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { AF_INET, TUN_F_CSUM, TUN_F_REMCSUM, TUN_TYPE_GUE, type Dest } from '../model/dest.ts';
import { buildIcmpFragNeeded, icmpErrorAllowed } from '../packet/build-icmp.ts';
import { rd16, wr16, wr32 } from '../packet/bytes.ts';
import { csumPartial, csumTcpudpMagic, ipSendCheck } from '../packet/checksum.ts';
import type { ParsedFrame } from '../packet/frame.ts';
import { IP_DF } from '../packet/ipv4.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { completePartialCsum, TunnelFrag } from './tunnel-frag.ts';
import { tunnelHeadroom } from './tunnel-headroom.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';

const IPPROTO_IPIP = 4;
const IPH = 20;
const UDPH = 8;
const GUEH = 4;
/** GUE_LEN_PRIV + GUE_PLEN_REMCSUM (include/net/gue.h). */
const GUE_REMCSUM_OPT = 8;
/** The kernel's default net.ipv4.ip_local_port_range, which udp_flow_src_port() spreads over. */
const PORT_MIN = 32768;
const PORT_MAX = 60999;

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
  }

  /**
   * Encapsulate the parsed packet toward dest (the connection's real server) and send it.
   * `flags` are the frame's RX flags. Returns DROP_NONE or the drop reason.
   */
  send(buf: Buffer, f: ParsedFrame, flags: number, dest: Dest): number {
    // An IPv6 real server of an IPv4 service (ip_vs_tunnel_xmit_v6() with an IPv4 inner packet)
    // is accepted by the control plane as the kernel does, but not tunnelled: a counted drop.
    if (dest.af !== AF_INET) return DROP_TUNNEL_FAMILY;
    const daddr = dest.addr >>> 0;
    const xmit = this.xmit;
    const port = xmit.route.lookup(daddr);
    if (port < 0) return DROP_NO_ROUTE;
    // do_output_route4(): the source the route picks, the device's address toward the next hop.
    const saddr = xmit.arpSender(port, xmit.route.nextHop) >>> 0;
    const gue = dest.tunType === TUN_TYPE_GUE;
    // ipvs_gue_encap(): the remote-checksum option only for a packet whose checksum is still partial.
    const remcsum = gue && (dest.tunFlags & TUN_F_REMCSUM) !== 0 && f.csumPartial !== 0;
    const hlen = gue ? IPH + UDPH + GUEH + (remcsum ? GUE_REMCSUM_OPT : 0) : IPH;
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
    buf[o] = 0x45;
    buf[o + 1] = f.ipTos;
    wr16(buf, o + 2, innerLen + hlen);
    if (df !== 0) wr16(buf, o + 4, 0);
    else {
      this.ipId = (this.ipId + 1) & 0xffff;
      wr16(buf, o + 4, this.ipId);
    }
    wr16(buf, o + 6, df);
    buf[o + 8] = f.ttl;
    buf[o + 9] = gue ? IPPROTO_UDP : IPPROTO_IPIP;
    wr32(buf, o + 12, saddr);
    wr32(buf, o + 16, daddr);
    ipSendCheck(buf, o);
    if (gue) {
      const lco = f.csumPartial !== 0 && !tooBig && !remcsum;
      this.writeGue(buf, f, o + IPH, innerLen + hlen - IPH, dest, remcsum, lco, saddr, daddr);
    }

    const len = f.frameLen + hlen;
    if (tooBig) return this.frag.send(buf, no, l2, len, devMtu, daddr);
    return xmit.toAddr(buf, no, len, vnet, daddr);
  }

  /** ipvs_gue_encap() and udp_set_csum(): UDP and GUE headers at u, udpLen bytes of UDP in all. */
  private writeGue(
    buf: Buffer,
    f: ParsedFrame,
    u: number,
    udpLen: number,
    dest: Dest,
    remcsum: boolean,
    lco: boolean,
    saddr: number,
    daddr: number,
  ): void {
    // udp_flow_src_port(): a hash of the inner flow spread over the local port range.
    let h = Math.imul(f.saddr ^ Math.imul(f.daddr, 0x9e3779b1), 0x85ebca6b) ^ ((f.sport << 16) | f.dport);
    h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ f.protocol;
    h = (h ^ (h >>> 13)) >>> 0;
    wr16(buf, u, Math.floor((h * (PORT_MAX - PORT_MIN)) / 4294967296) + PORT_MIN);
    wr16(buf, u + 2, dest.tunPort);
    wr16(buf, u + 4, udpLen);
    wr16(buf, u + 6, 0);
    const g = u + UDPH;
    // struct guehdr: version 0, control 0, hlen = option words; proto_ctype = IPPROTO_IPIP.
    buf[g] = remcsum ? GUE_REMCSUM_OPT >>> 2 : 0;
    buf[g + 1] = IPPROTO_IPIP;
    wr16(buf, g + 2, remcsum ? 1 : 0); // GUE_FLAG_PRIV
    if (remcsum) {
      // GUE_PFLAG_REMCSUM, then where the inner checksum starts and where it goes, from the inner IP.
      wr32(buf, g + 4, 0x80000000);
      const start = f.l4Off - f.l3Off;
      wr16(buf, g + 8, start);
      wr16(buf, g + 10, start + (f.protocol === IPPROTO_TCP ? 16 : 6));
    }
    if ((dest.tunFlags & (TUN_F_CSUM | TUN_F_REMCSUM)) === 0) return; // udp_set_csum(nocheck): 0
    let sum: number;
    if (lco) {
      // lco_csum(): the inner checksum field holds its pseudo-header seed, whose complement stands for
      // the inner L4 bytes the kernel sums later; add our headers up to where the inner sum starts.
      const check = rd16(buf, f.l4Off + (f.protocol === IPPROTO_TCP ? 16 : 6));
      sum = csumPartial(buf, u, f.l4Off - u, ~check & 0xffff);
    } else sum = csumPartial(buf, u, udpLen, 0);
    const c = csumTcpudpMagic(saddr, daddr, udpLen, IPPROTO_UDP, sum);
    wr16(buf, u + 6, c === 0 ? 0xffff : c); // CSUM_MANGLED_0
  }

  /** icmp_send(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu) from the VIP back to the client. */
  private fragNeeded(buf: Buffer, f: ParsedFrame, mtu: number): void {
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
