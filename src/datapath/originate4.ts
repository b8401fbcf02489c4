// Originate4: the ICMP errors the IPv4 path sends of its own accord within a batch (port
// unreachable when no real server is available), built in slots of one preallocated buffer that
// stay valid until the batch's TX queue is flushed; beginBatch() hands the slots out again. With
// the slots of a batch used up, nothing more is sent in it, never an allocation. The IPv6
// counterpart is originate6.ts.

import { buildIcmpPortUnreach, icmpErrorAllowed } from '../packet/build-icmp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';

const SLOTS = 32;
const SLOT_BYTES = 640;

export class Originate4 {
  private readonly buf = Buffer.alloc(SLOTS * SLOT_BYTES);
  private used = 0;
  private ipId = 1;

  constructor(
    private readonly xmit: Xmit,
    private readonly owned: OwnedAddrs,
  ) {}

  beginBatch(): void {
    this.used = 0;
  }

  /** ip_vs_leave(): no real server available -> ICMP port unreachable to the client, from the VIP. */
  portUnreachable(buf: Buffer, f: ParsedFrame): void {
    if (this.used >= SLOTS || !icmpErrorAllowed(buf, f)) return;
    const off = this.used++ * SLOT_BYTES;
    this.ipId = (this.ipId + 1) & 0xffff;
    const o = this.buf;
    const n = buildIcmpPortUnreach(o, off, buf, f, f.daddr, this.ipId);
    const m = this.xmit.macs;
    const port = this.owned.portOf(f.daddr);
    for (let i = 0; i < 6; i++) o[off + 6 + i] = m[port * 6 + i]!;
    this.xmit.queue(port, o, off, n, 0);
  }
}
