// NAT of ICMPv6 errors about a known connection: ip_vs_nat_icmp_v6() in
// net/netfilter/ipvs/ip_vs_core.c, the IPv6 twin of nat-icmp.ts.
//
//   natIcmp6Out  (inout = 1) an error from the real-server side about a packet client -> daddr:
//                outer saddr -> vaddr; quoted daddr -> vaddr; quoted dport -> vport
//   natIcmp6In   (inout = 0) an error from the client side about a packet vaddr -> client:
//                outer daddr -> daddr; quoted saddr -> daddr; quoted sport -> dport
//   natIcmp6Full full NAT: every outer and quoted address and both quoted ports given
// Ports only for TCP/UDP/SCTP of a first fragment (ipv6_find_hdr's fragoffs == 0). IPv6 headers
// have no checksum; the ICMPv6 checksum covers the pseudo-header, so it is recomputed over the
// pseudo-header with the new outer addresses and the whole message, as the kernel's
// csum_ipv6_magic(..., skb->len - icmp_offset, IPPROTO_ICMPV6, ...) does (it leaves the sum of
// the message to CHECKSUM_PARTIAL; we complete it). The quoted L4 checksum is left stale, as
// the kernel leaves it.
//
// Addresses are four words at a word offset (`at`), so a ConnTable6 column serves directly.
// Preconditions: parseFrame returned DROP_NONE with f.icmpIsError = 1, and the caller verified
// icmp6ChecksumOk() as ip_vs_in_icmp_v6() does (ip_vs_checksum_complete). No allocation.

import { wr16 } from '../packet/bytes.ts';
import { csumFold, csumPartial } from '../packet/checksum.ts';
import { pseudoSum6 } from '../packet/checksum6.ts';
import { IP6H_DADDR, IP6H_SADDR, copyAddr6, writeAddr6 } from '../packet/ipv6.ts';
import { IPPROTO_ICMPV6 } from '../lib/inet.ts';
import { innerHasPorts } from './nat-icmp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

/** The ICMPv6 checksum over the new outer addresses and the message (f.l4Len bytes). */
function icmp6Recheck(buf: Uint8Array, f: ParsedFrame): void {
  const at = f.l4CsumOff;
  buf[at] = 0;
  buf[at + 1] = 0;
  const sum = pseudoSum6(f.saddr6, f.daddr6, IPPROTO_ICMPV6, f.l4Len) + csumPartial(buf, f.l4Off, f.l4Len, 0);
  wr16(buf, at, csumFold(sum));
}

/** ip_vs_nat_icmp_v6(..., inout = 1): an error from the real-server side, towards the client. */
export function natIcmp6Out(buf: Uint8Array, f: ParsedFrame, vaddr: Uint32Array, at: number, vport: number): void {
  writeAddr6(buf, f.l3Off + IP6H_SADDR, vaddr, at);
  writeAddr6(buf, f.innerL3Off + IP6H_DADDR, vaddr, at);
  f.saddr = copyAddr6(f.saddr6, vaddr, at);
  f.innerDaddr = copyAddr6(f.innerDaddr6, vaddr, at);
  if (innerHasPorts(f)) {
    wr16(buf, f.innerL4Off + 2, vport);
    f.innerDport = vport;
  }
  icmp6Recheck(buf, f);
}

/** ip_vs_nat_icmp_v6(..., inout = 0): an error from the client side, towards the real server. */
export function natIcmp6In(buf: Uint8Array, f: ParsedFrame, daddr: Uint32Array, at: number, dport: number): void {
  writeAddr6(buf, f.l3Off + IP6H_DADDR, daddr, at);
  writeAddr6(buf, f.innerL3Off + IP6H_SADDR, daddr, at);
  f.daddr = copyAddr6(f.daddr6, daddr, at);
  f.innerSaddr = copyAddr6(f.innerSaddr6, daddr, at);
  if (innerHasPorts(f)) {
    wr16(buf, f.innerL4Off, dport);
    f.innerSport = dport;
  }
  icmp6Recheck(buf, f);
}

/**
 * Full NAT of an ICMPv6 error: outer saddr/daddr and the quoted saddr:sport -> daddr:dport, each
 * address as (array, word offset).
 */
export function natIcmp6Full(
  buf: Uint8Array,
  f: ParsedFrame,
  outerS: Uint32Array,
  outerSAt: number,
  outerD: Uint32Array,
  outerDAt: number,
  innerS: Uint32Array,
  innerSAt: number,
  innerSport: number,
  innerD: Uint32Array,
  innerDAt: number,
  innerDport: number,
): void {
  const cip = f.innerL3Off;
  writeAddr6(buf, f.l3Off + IP6H_SADDR, outerS, outerSAt);
  writeAddr6(buf, f.l3Off + IP6H_DADDR, outerD, outerDAt);
  writeAddr6(buf, cip + IP6H_SADDR, innerS, innerSAt);
  writeAddr6(buf, cip + IP6H_DADDR, innerD, innerDAt);
  f.saddr = copyAddr6(f.saddr6, outerS, outerSAt);
  f.daddr = copyAddr6(f.daddr6, outerD, outerDAt);
  f.innerSaddr = copyAddr6(f.innerSaddr6, innerS, innerSAt);
  f.innerDaddr = copyAddr6(f.innerDaddr6, innerD, innerDAt);
  if (innerHasPorts(f)) {
    const l4 = f.innerL4Off;
    wr16(buf, l4, innerSport);
    wr16(buf, l4 + 2, innerDport);
    f.innerSport = innerSport;
    f.innerDport = innerDport;
  }
  icmp6Recheck(buf, f);
}
