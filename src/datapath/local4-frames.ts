// The director's own IPv4 frames in Pipeline.processFrame(), the IPv4 twin of icmp6-frames.ts:
// ARP (answered for the owned addresses, learnt from, local.ts), ICMP errors about connections
// translated as ip_vs_in_icmp() / ip_vs_out_icmp() do (icmp-path.ts), and echo requests to an
// owned address answered in place; an echo to the kernel's addresses passes. The counters are
// the Pipeline's (passed, local), shared with the IPv6 path.

import { DROP_NONE } from '../lib/drops.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { PathCounters } from './icmp6-frames.ts';
import { handleIcmpError } from './icmp-path.ts';
import { handleArp, handleEcho } from './local.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';

export class Local4Frames {
  constructor(
    private readonly owned: OwnedAddrs,
    private readonly xmit: Xmit,
    private readonly conns: ConnManager,
    private readonly n: PathCounters,
  ) {}

  /** A parsed ARP frame. */
  arp(buf: Buffer, f: ParsedFrame, port: number, nowMs: number): number {
    this.n.local++;
    return handleArp(buf, f, port, this.owned, this.xmit, nowMs);
  }

  /** A parsed ICMP frame; ownerPort: the port owning its destination, or -1. */
  icmp(buf: Buffer, f: ParsedFrame, flags: number, port: number, ownerPort: number): number {
    if (f.icmpIsError !== 0) return handleIcmpError(buf, f, flags, ownerPort >= 0, this.conns, this.xmit);
    if (ownerPort < 0) {
      this.n.passed++;
      return DROP_NONE;
    }
    this.n.local++;
    return handleEcho(buf, f, port, this.xmit);
  }
}
