// TunnelFrag: fragments an encapsulated packet that is bigger than its output device's MTU and
// may be fragmented (the inner packet had no DF), as ip_fragment() -> ip_do_fragment()'s slow
// path (net/ipv4/ip_output.c) does with the outer packet ip_vs_tunnel_xmit() sends: every
// fragment carries a copy of the outer header, a payload of a multiple of 8 bytes except the
// last, the offset in 8-byte units and MF on all but the last. The first fragment stays in the
// frame; the others are copied into slots that live until the batch is flushed.

import { DROP_TX_FULL } from '../lib/drops.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { wr16 } from '../packet/bytes.ts';
import { csumFold, csumPartial, ipSendCheck } from '../packet/checksum.ts';
import type { ParsedFrame } from '../packet/frame.ts';
import { IP_MF } from '../packet/ipv4.ts';
import type { Xmit } from './xmit.ts';

const IPH = 20;
const SLOTS = 64;
const SLOT_BYTES = 1600;

export class TunnelFrag {
  private readonly slots = Buffer.alloc(SLOTS * SLOT_BYTES);
  private used = 0;
  /** Packets sent in fragments, and fragments sent in all. */
  packets = 0;
  fragments = 0;

  constructor(private readonly xmit: Xmit) {}

  beginBatch(): void {
    this.used = 0;
  }

  /**
   * Send the frame at buf[off, off + len), l2 bytes of Ethernet header then the outer IPv4 header
   * (no options), in fragments that fit devMtu. Returns DROP_NONE or why the first was dropped.
   */
  send(buf: Buffer, off: number, l2: number, len: number, devMtu: number, daddr: number): number {
    const ip = off + l2;
    const total = len - l2;
    const left = total - IPH;
    const chunk = (devMtu - IPH) & ~7;
    const need = Math.ceil(left / chunk) - 1;
    if (this.used + need > SLOTS || l2 + devMtu > SLOT_BYTES) return DROP_TX_FULL;
    // The later fragments first, while the payload is still in place.
    for (let at = chunk; at < left; at += chunk) {
      const n = left - at < chunk ? left - at : chunk;
      const s = this.used++ * SLOT_BYTES;
      const slots = this.slots;
      buf.copy(slots, s, off, ip + IPH); // Ethernet + outer header
      buf.copy(slots, s + l2 + IPH, ip + IPH + at, ip + IPH + at + n);
      const o = s + l2;
      wr16(slots, o + 2, IPH + n);
      wr16(slots, o + 6, (at >>> 3) | (at + n < left ? IP_MF : 0)); // DF is clear: no DF packet comes here
      ipSendCheck(slots, o);
      this.fragments++;
      this.xmit.toAddr(slots, s, l2 + IPH + n, 0, daddr);
    }
    wr16(buf, ip + 2, IPH + chunk);
    wr16(buf, ip + 6, IP_MF);
    ipSendCheck(buf, ip);
    this.packets++;
    this.fragments++;
    return this.xmit.toAddr(buf, off, l2 + IPH + chunk, 0, daddr);
  }
}

/**
 * skb_checksum_help(): finish a partial TCP/UDP checksum in software. The field holds the folded
 * pseudo-header sum; the checksum of the L4 bytes from the header on, that field included, is the
 * final value.
 */
export function completePartialCsum(buf: Buffer, f: ParsedFrame): void {
  const at = f.l4Off + (f.protocol === IPPROTO_TCP ? 16 : 6);
  const len = f.l3Off + f.ipTotalLen - f.l4Off;
  const c = csumFold(csumPartial(buf, f.l4Off, len, 0));
  wr16(buf, at, f.protocol === IPPROTO_TCP || c !== 0 ? c : 0xffff);
  f.csumPartial = 0;
}
