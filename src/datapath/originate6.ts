// Originate6: the frames the IPv6 path sends of its own accord within a batch (neighbour
// advertisements, ICMPv6 errors), built in slots of one preallocated buffer that stay valid until
// the batch's TX queue is flushed; beginBatch() hands the slots out again. When the slots of a
// batch are used up, nothing more is originated in it (an error not sent, as icmpv6_send() gives
// up under its rate limit), never an allocation.

import type { ParsedFrame } from '../packet/parsed-frame.ts';
import {
  buildIcmp6PortUnreach,
  buildIcmp6TimeExceeded,
  ICMP6_ERROR_MAX_FRAME,
  icmp6ErrorAllowed,
} from '../packet/build-icmp6.ts';
import { ICMPV6_DEST_UNREACH } from '../packet/icmp6.ts';
import type { Xmit } from './xmit.ts';

const SLOTS = 32;
const SLOT_BYTES = (ICMP6_ERROR_MAX_FRAME + 7) & ~7;

export class Originate6 {
  readonly out = Buffer.alloc(SLOTS * SLOT_BYTES);
  private used = 0;

  constructor(private readonly xmit: Xmit) {}

  beginBatch(): void {
    this.used = 0;
  }

  /** The offset of a free slot of `out` for this batch, or -1. */
  slot(): number {
    return this.used < SLOTS ? this.used++ * SLOT_BYTES : -1;
  }

  /**
   * icmpv6_send() back to the sender of the parsed packet, from src: port unreachable
   * (ip_vs_leave: no real server) or hop limit exceeded (decrement_ttl), on the port the packet
   * came in on, from that port's MAC. Nothing when icmp6ErrorAllowed refuses or no slot is free.
   */
  icmpError(buf: Buffer, f: ParsedFrame, port: number, type: number, src: Uint32Array): void {
    if (!icmp6ErrorAllowed(buf, f, type)) return;
    const off = this.slot();
    if (off < 0) return;
    const o = this.out;
    const n =
      type === ICMPV6_DEST_UNREACH
        ? buildIcmp6PortUnreach(o, off, buf, f, src)
        : buildIcmp6TimeExceeded(o, off, buf, f, src);
    const m = this.xmit.macs;
    for (let i = 0; i < 6; i++) o[off + 6 + i] = m[port * 6 + i]!;
    this.xmit.queue(port, o, off, n, 0);
  }
}
