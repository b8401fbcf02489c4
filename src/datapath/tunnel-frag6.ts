// TunnelFrag6: fragments an outer IPv6 packet that is bigger than its output device's MTU, as
// ip6_fragment()'s slow path (net/ipv6/ip6_output.c) does with the 4in6 packet
// ip_vs_tunnel_xmit_v6() sends with ignore_df set (an IPv4 packet without DF, over the tunnel's
// room: IPv4's rule lets it through, ensure_mtu_is_adequate()). Every fragment carries a copy of
// the outer header (its unfragmentable part: no extension headers) with next header 44 and a
// fragment header (the original next header, offset in 8-byte units, M on all but the last, one
// identification for the packet), then a payload of a multiple of 8 bytes except the last.
//
//   in:   [eth][outer IPv6 40, nh 44][frag 8: nh, 0, offset|M, id][payload .................]
//   out:  [eth][outer IPv6 40][frag 8][payload 0 .. chunk)   [eth][outer][frag][chunk .. 2 chunk) ...
//
// The caller leaves room for the fragment header (the first fragment stays in the frame); the
// others are copied into slots that live until the batch is flushed.

import { DROP_TX_FULL } from '../lib/drops.ts';
import { wr16, wr32 } from '../packet/bytes.ts';
import type { Xmit6 } from './xmit6.ts';

const IP6H = 40;
export const FRAGH = 8;
export const NEXTHDR_FRAGMENT = 44;
const IP6_MF = 1;
const SLOTS = 64;
const SLOT_BYTES = 1600;

export class TunnelFrag6 {
  private readonly slots = Buffer.alloc(SLOTS * SLOT_BYTES);
  private used = 0;
  /** ipv6_select_ident(): the fragment identification, one per packet. */
  private ident = 0x7a3c0001;
  /** Packets sent in fragments, and fragments sent in all. */
  packets = 0;
  fragments = 0;

  constructor(private readonly x6: Xmit6) {}

  beginBatch(): void {
    this.used = 0;
  }

  /**
   * Send the frame at buf[off, off + len): l2 bytes of Ethernet header, the outer IPv6 header, a
   * fragment header to fill (its first byte: the payload's next header) and the payload, in
   * fragments that fit devMtu, through `hop` (Xmit6.resolve()). DROP_NONE or why the first was dropped.
   */
  send(buf: Buffer, off: number, l2: number, len: number, devMtu: number, hop: number): number {
    const ip = off + l2;
    const head = l2 + IP6H + FRAGH;
    const left = len - head;
    const chunk = (devMtu - IP6H - FRAGH) & ~7;
    const need = Math.ceil(left / chunk) - 1;
    if (this.used + need > SLOTS || head + chunk > SLOT_BYTES) return DROP_TX_FULL;
    this.ident = (this.ident + 1) >>> 0;
    buf[ip + 6] = NEXTHDR_FRAGMENT;
    buf[ip + IP6H + 1] = 0;
    wr32(buf, ip + IP6H + 4, this.ident);
    // The later fragments first, while the payload is still in place.
    for (let at = chunk; at < left; at += chunk) {
      const n = left - at < chunk ? left - at : chunk;
      const s = this.used++ * SLOT_BYTES;
      const slots = this.slots;
      buf.copy(slots, s, off, off + head); // Ethernet + outer header + fragment header
      buf.copy(slots, s + head, off + head + at, off + head + at + n);
      wr16(slots, s + l2 + 4, FRAGH + n);
      wr16(slots, s + l2 + IP6H + 2, at | (at + n < left ? IP6_MF : 0));
      this.fragments++;
      this.x6.sendVia(hop, slots, s, head + n, 0);
    }
    wr16(buf, ip + 4, FRAGH + chunk);
    wr16(buf, ip + IP6H + 2, IP6_MF);
    this.packets++;
    this.fragments++;
    return this.x6.sendVia(hop, buf, off, head + chunk, 0);
  }
}
