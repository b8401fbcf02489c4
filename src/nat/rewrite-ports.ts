// rewrite-ports: the TCP/UDP port half of a NAT rewrite, shared by IPv4 (rewrite.ts) and IPv6
// (rewrite6.ts): which frames have ports to rewrite, and the port writes with their checksum
// diff (diff2 sums, for the family's L4 checksum update). The frame's fields follow the buffer.

import { wr16 } from '../packet/bytes.ts';
import { diff2 } from '../packet/checksum.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

/** True when the frame has a TCP/UDP header a rewriter adjusts (not ICMP, not a later fragment). */
export function hasPorts(f: ParsedFrame): boolean {
  return f.fragOff === 0 && (f.protocol === IPPROTO_TCP || f.protocol === IPPROTO_UDP) && f.l4CsumOff >= 0;
}

/** dport -> newPort; returns the checksum diff. */
export function writeDport(buf: Uint8Array, f: ParsedFrame, newPort: number): number {
  const d = diff2(f.dport, newPort);
  wr16(buf, f.l4Off + 2, newPort);
  f.dport = newPort;
  return d;
}

/** sport -> newPort; returns the checksum diff. */
export function writeSport(buf: Uint8Array, f: ParsedFrame, newPort: number): number {
  const d = diff2(f.sport, newPort);
  wr16(buf, f.l4Off, newPort);
  f.sport = newPort;
  return d;
}

/** Both ports; returns the summed checksum diff. */
export function writePorts(buf: Uint8Array, f: ParsedFrame, newSport: number, newDport: number): number {
  return writeSport(buf, f, newSport) + writeDport(buf, f, newDport);
}
