// The ICMPv6 arm of Pipeline6.frame(), the AF_INET6 side of what ip_vs_in_icmp_v6() and the
// kernel's own ICMPv6 input do with a director's packet: neighbour discovery for the owned
// addresses (local6.ts), errors about connections translated (icmp6-path.ts), echo requests to an
// owned address answered in place; everything else (echo to the kernel's addresses) passes.

import { DROP_NONE, type DropCounters } from '../lib/drops.ts';
import type { ConnManager6 } from '../conn/conn-manager6.ts';
import { NDISC_NEIGHBOUR_ADVERTISEMENT, NDISC_NEIGHBOUR_SOLICITATION } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { handleIcmp6Error } from './icmp6-path.ts';
import { handleEcho6, handleNdisc6 } from './local6.ts';
import type { Originate6 } from './originate6.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { SynProxy } from './synproxy.ts';
import type { TunnelXmit } from './tunnel-xmit.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';

/** The path counters both families add to (the Pipeline's), its drop counters and SYN proxy's. */
export interface PathCounters {
  passed: number;
  local: number;
  forwardedIn: number;
  forwardedOut: number;
  readonly drops: DropCounters;
  readonly synproxy: SynProxy;
  /** The IPv4 path's LVS-TUN transmitter, whose IPv6 real servers (4in6) the IPv6 path reaches. */
  readonly tun: TunnelXmit;
}

export class Icmp6Frames {
  constructor(
    private readonly owned: OwnedAddrs,
    private readonly xmit: Xmit,
    private readonly x6: Xmit6,
    private readonly orig: Originate6,
    private readonly cm: ConnManager6,
    private readonly n: PathCounters,
  ) {}

  /** A parsed ICMPv6 frame; ownerPort: the port owning its destination, or -1. */
  frame(buf: Buffer, f: ParsedFrame, flags: number, port: number, ownerPort: number, nowMs: number): number {
    const type = f.icmpType;
    if (type === NDISC_NEIGHBOUR_SOLICITATION || type === NDISC_NEIGHBOUR_ADVERTISEMENT) {
      this.n.local++;
      return handleNdisc6(buf, f, port, this.owned, this.xmit, this.x6, this.orig.out, this.orig.slot(), nowMs);
    }
    if (f.icmpIsError !== 0) return handleIcmp6Error(buf, f, flags, ownerPort >= 0, this.cm, this.x6);
    if (ownerPort < 0) {
      this.n.passed++;
      return DROP_NONE;
    }
    this.n.local++;
    return handleEcho6(buf, f, port, this.xmit);
  }
}
