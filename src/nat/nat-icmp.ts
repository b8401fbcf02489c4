// NAT of ICMP errors about a known connection: ip_vs_nat_icmp() in net/netfilter/ipvs/ip_vs_core.c.
//
// An ICMP error quotes the IP header + first 8 bytes of L4 of the packet it is about. Both the
// outer header and the quoted one are rewritten so each side sees its own view of the connection:
//   natIcmpOut  (inout = 1) an error from the real-server side about a packet client -> daddr:
//               outer saddr -> vaddr; inner daddr -> vaddr; inner dport -> vport
//   natIcmpIn   (inout = 0) an error from the client side about a packet vaddr -> client:
//               outer daddr -> daddr; inner saddr -> daddr; inner sport -> dport
//   natIcmpFull full NAT: every outer and inner address and both inner ports given explicitly
// Then, as the kernel does: ip_send_check() on both IP headers (full recompute), ports only for
// TCP/UDP/SCTP, and the ICMP checksum recomputed over the whole message (ip_vs_checksum_complete
// over skb->len - icmp_offset, i.e. f.l4Len: tot_len is authoritative).
//
// The quoted L4 checksum is left as it was: ip_vs_nat_icmp() does not touch it (for TCP it is not
// even inside the 8 quoted bytes, and receivers do not verify it). It is stale after the rewrite.
//
// Preconditions: parseFrame returned DROP_NONE with f.icmpIsError = 1 (the quote holds a whole IP
// header + 8 bytes), and the caller verified icmpChecksumOk() as ip_vs_in_icmp() does.
// No allocation; no exceptions.

import { wr16, wr32 } from '../packet/bytes.ts';
import { csumFold, csumPartial, ipSendCheck } from '../packet/checksum.ts';
import { IPH_DADDR, IPH_SADDR } from '../packet/ipv4.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

/** Whether the quoted packet has ports to NAT: TCP, UDP or SCTP, and a first fragment. */
export function innerHasPorts(f: ParsedFrame): boolean {
  const p = f.innerProtocol;
  return f.innerFragOff === 0 && (p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP);
}

/** And finally the ICMP checksum (ip_vs_nat_icmp): zero the field, sum the message, store. */
function icmpRecheck(buf: Uint8Array, f: ParsedFrame): void {
  const at = f.l4CsumOff;
  buf[at] = 0;
  buf[at + 1] = 0;
  wr16(buf, at, csumFold(csumPartial(buf, f.l4Off, f.l4Len, 0)));
}

/** ip_vs_nat_icmp(..., inout = 1): an error from the real-server side, towards the client. */
export function natIcmpOut(buf: Uint8Array, f: ParsedFrame, vaddr: number, vport: number): void {
  const ip = f.l3Off;
  const cip = f.innerL3Off;
  wr32(buf, ip + IPH_SADDR, vaddr);
  ipSendCheck(buf, ip);
  wr32(buf, cip + IPH_DADDR, vaddr);
  ipSendCheck(buf, cip);
  f.saddr = vaddr;
  f.innerDaddr = vaddr;
  if (innerHasPorts(f)) {
    wr16(buf, f.innerL4Off + 2, vport);
    f.innerDport = vport;
  }
  icmpRecheck(buf, f);
}

/** ip_vs_nat_icmp(..., inout = 0): an error from the client side, towards the real server. */
export function natIcmpIn(buf: Uint8Array, f: ParsedFrame, daddr: number, dport: number): void {
  const ip = f.l3Off;
  const cip = f.innerL3Off;
  wr32(buf, ip + IPH_DADDR, daddr);
  ipSendCheck(buf, ip);
  wr32(buf, cip + IPH_SADDR, daddr);
  ipSendCheck(buf, cip);
  f.daddr = daddr;
  f.innerSaddr = daddr;
  if (innerHasPorts(f)) {
    wr16(buf, f.innerL4Off, dport);
    f.innerSport = dport;
  }
  icmpRecheck(buf, f);
}

/**
 * Full NAT of an ICMP error: set the outer saddr/daddr and the quoted saddr:sport -> daddr:dport.
 * E.g. an error from the real-server side about laddr:lport -> daddr:dport becomes, for the
 * client, outer vaddr -> caddr quoting caddr:cport -> vaddr:vport.
 */
export function natIcmpFull(
  buf: Uint8Array,
  f: ParsedFrame,
  outerSaddr: number,
  outerDaddr: number,
  innerSaddr: number,
  innerSport: number,
  innerDaddr: number,
  innerDport: number,
): void {
  const ip = f.l3Off;
  const cip = f.innerL3Off;
  wr32(buf, ip + IPH_SADDR, outerSaddr);
  wr32(buf, ip + IPH_DADDR, outerDaddr);
  ipSendCheck(buf, ip);
  wr32(buf, cip + IPH_SADDR, innerSaddr);
  wr32(buf, cip + IPH_DADDR, innerDaddr);
  ipSendCheck(buf, cip);
  f.saddr = outerSaddr;
  f.daddr = outerDaddr;
  f.innerSaddr = innerSaddr;
  f.innerDaddr = innerDaddr;
  if (innerHasPorts(f)) {
    const l4 = f.innerL4Off;
    wr16(buf, l4, innerSport);
    wr16(buf, l4 + 2, innerDport);
    f.innerSport = innerSport;
    f.innerDport = innerDport;
  }
  icmpRecheck(buf, f);
}
