// NAT66 address/port rewriting with incremental checksums: the IPv6 branches of ip_vs_nat_xmit_v6()
// (net/netfilter/ipvs/ip_vs_xmit.c), handle_response() and tcp/udp_snat_handler / dnat_handler
// (ip_vs_proto_tcp.c, ip_vs_proto_udp.c: the `#ifdef CONFIG_IP_VS_IPV6` arms that go through
// ip_vs_check_diff16 and csum_ipv6_magic), plus full NAT and the hop limit decrement of
// ip6_forward(). Directions and the L4 checksum cases as in rewrite.ts, with two differences:
//   no IPv4 header checksum: IPv6 has none, so only the L4 checksum sees the address change;
//   an address diff is over 128 bits (diff16), and the UDP full recomputation uses the IPv6
//   pseudo-header. A UDP checksum of 0 is invalid over IPv6 (RFC 8200 8.1) and is recomputed
//   like the kernel's "full checksum calculation" branch; 0 results are written 0xFFFF.
// f.saddr6 / f.daddr6 hold the old addresses on entry (the diff is taken from them) and the new
// ones on return, their folds in f.saddr / f.daddr. A new address is the four words at a word
// offset of an array (`at`): a ConnTable6 column at id << 2, with no subarray per packet.
// The bounds were checked by parseFrame; nothing here allocates or throws.

import { rd16, wr16 } from '../packet/bytes.ts';
import { csumFold, csumPartial, fold16 } from '../packet/checksum.ts';
import { diff16, pseudoSum6 } from '../packet/checksum6.ts';
import { IP6H_DADDR, IP6H_HOPLIMIT, IP6H_SADDR, copyAddr6, writeAddr6 } from '../packet/ipv6.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { UDP_HLEN } from '../packet/udp.ts';
import { hasPorts, writeDport, writePorts, writeSport } from './rewrite-ports.ts';

/** Fix a TCP/UDP checksum after an address diff (diff16 sums) and a port diff (diff2 sums). */
function updateL4Check6(buf: Uint8Array, f: ParsedFrame, addrDiff: number, portDiff: number): void {
  const at = f.l4CsumOff;
  const check = rd16(buf, at);
  if (f.csumPartial !== 0) {
    wr16(buf, at, fold16(check + addrDiff));
    return;
  }
  if (f.protocol === IPPROTO_UDP) {
    if (check === 0) {
      if (f.moreFrags !== 0) return;
      const ulen = f.payloadLen + UDP_HLEN;
      const c = csumFold(pseudoSum6(f.saddr6, f.daddr6, IPPROTO_UDP, ulen) + csumPartial(buf, f.l4Off, ulen, 0));
      wr16(buf, at, c === 0 ? 0xffff : c);
      return;
    }
    const c = csumFold((~check & 0xffff) + addrDiff + portDiff);
    wr16(buf, at, c === 0 ? 0xffff : c);
    return;
  }
  wr16(buf, at, csumFold((~check & 0xffff) + addrDiff + portDiff));
}

/** Destination NAT66 (masq "in"): daddr:dport -> newAddr:newPort; newPort ignored without ports. */
export function rewriteDest6(buf: Uint8Array, f: ParsedFrame, newAddr: Uint32Array, at: number, newPort: number): void {
  const aDiff = diff16(f.daddr6, newAddr, at);
  writeAddr6(buf, f.l3Off + IP6H_DADDR, newAddr, at);
  f.daddr = copyAddr6(f.daddr6, newAddr, at);
  if (!hasPorts(f)) return;
  updateL4Check6(buf, f, aDiff, writeDport(buf, f, newPort));
}

/** Source NAT66 (masq "out"): saddr:sport -> newAddr:newPort. */
export function rewriteSource6(
  buf: Uint8Array,
  f: ParsedFrame,
  newAddr: Uint32Array,
  at: number,
  newPort: number,
): void {
  const aDiff = diff16(f.saddr6, newAddr, at);
  writeAddr6(buf, f.l3Off + IP6H_SADDR, newAddr, at);
  f.saddr = copyAddr6(f.saddr6, newAddr, at);
  if (!hasPorts(f)) return;
  updateL4Check6(buf, f, aDiff, writeSport(buf, f, newPort));
}

/** Full NAT over IPv6: both ends at once, one checksum update. */
export function rewriteBoth6(
  buf: Uint8Array,
  f: ParsedFrame,
  newSaddr: Uint32Array,
  sAt: number,
  newSport: number,
  newDaddr: Uint32Array,
  dAt: number,
  newDport: number,
): void {
  const aDiff = diff16(f.saddr6, newSaddr, sAt) + diff16(f.daddr6, newDaddr, dAt);
  writeAddr6(buf, f.l3Off + IP6H_SADDR, newSaddr, sAt);
  writeAddr6(buf, f.l3Off + IP6H_DADDR, newDaddr, dAt);
  f.saddr = copyAddr6(f.saddr6, newSaddr, sAt);
  f.daddr = copyAddr6(f.daddr6, newDaddr, dAt);
  if (!hasPorts(f)) return;
  updateL4Check6(buf, f, aDiff, writePorts(buf, f, newSport, newDport));
}

/**
 * ip6_forward()'s hop limit decrement: false, changing nothing, when the hop limit is <= 1 (the
 * caller drops with DROP_TTL_EXCEEDED and may send ICMPv6 time exceeded). No checksum covers it.
 */
export function decHopLimit(buf: Uint8Array, f: ParsedFrame): boolean {
  const at = f.l3Off + IP6H_HOPLIMIT;
  const hl = buf[at]!;
  if (hl <= 1) return false;
  buf[at] = hl - 1;
  f.ttl = hl - 1;
  return true;
}
