// NAT address/port rewriting with incremental checksums: the packet mangling of ip_vs_nat_xmit()
// (net/netfilter/ipvs/ip_vs_xmit.c), handle_response() (ip_vs_core.c) and the protocol handlers
// tcp_dnat_handler/tcp_snat_handler (ip_vs_proto_tcp.c) and udp_dnat_handler/udp_snat_handler
// (ip_vs_proto_udp.c), plus full NAT (both ends at once) and ip_decrease_ttl (include/net/ip.h).
//
// Directions (IPVS names): "in" = client -> director, "out" = real server -> director.
//   masq in   rewriteDest(buf, f, daddr, dport)      caddr:cport -> vaddr:vport  becomes  -> daddr:dport
//   masq out  rewriteSource(buf, f, vaddr, vport)    daddr:dport -> caddr:cport  becomes  vaddr:vport ->
//   full NAT  rewriteBoth(...)                       both ends, one checksum update each
//
// L4 checksum, per kernel case:
//   CHECKSUM_PARTIAL (f.csumPartial)  tcp/udp_partial_csum_update: the field is a non-complemented
//       pseudo-header sum; only address changes adjust it (ports are not in the pseudo-header).
//       The kernel also folds in an L4 length change (oldlen -> newlen, for app helpers that
//       resize the payload); NAT never changes the length, so that term is the identity here.
//   TCP, UDP with a checksum          tcp/udp_fast_csum_update: RFC 1624 over address + port diffs
//       in one fold; a UDP result of 0 is written 0xFFFF (CSUM_MANGLED_0, RFC 768).
//   UDP with checksum 0               the kernel's "full checksum calculation" branch: IPVS does NOT
//       leave 0 ("else if (!payload_csum && udph->check != 0)" is the only fast path); it sums the
//       datagram and writes csum_tcpudp_magic(), 0 -> 0xFFFF. Exception: a first fragment (MF) with
//       checksum 0 stays 0 (IPVS reassembles first; we only see this fragment).
//   a non-first fragment              IP header only (it has no L4 header).
//   ICMP and other protocols          IP header only; ICMP errors go through nat-icmp.ts.
// IPv4 header checksum: updated incrementally. ip_send_check() recomputes it from scratch; the
// parser verified it on receive, so both give the same 16 bits.
//
// virtio_net_hdr (RXF_VNET_HDR, 10 bytes before the frame): NAT rewrites fields in place and never
// moves a header, so csum_start / csum_offset (offsets from the frame start) stay valid, and a
// CHECKSUM_PARTIAL frame keeps its partial checksum for the NIC / peer to finish. GSO superpackets
// are rewritten the same way; the kernel segments them later with the updated headers.
//
// The bounds were checked by parseFrame; nothing here allocates or throws.

import { rd16, wr16 } from '../packet/bytes.ts';
import { wr32v } from '../packet/buf-view.ts';
import { csumFold, csumPartial, diff4, fold16, pseudoSum } from '../packet/checksum.ts';
import { IPH_CHECK, IPH_DADDR, IPH_SADDR, IPH_TTL } from '../packet/ipv4.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { UDP_HLEN } from '../packet/udp.ts';
import { hasPorts, writeDport, writePorts, writeSport } from './rewrite-ports.ts';

/**
 * Fix the L4 checksum of a TCP/UDP packet after its addresses and ports changed.
 * addrDiff: diff4 sum of the address changes; portDiff: diff2 sum of the port changes.
 * f.saddr / f.daddr must already hold the new addresses (used by the UDP full computation).
 */
function updateL4Check(buf: Uint8Array, f: ParsedFrame, addrDiff: number, portDiff: number): void {
  const at = f.l4CsumOff;
  const check = rd16(buf, at);
  if (f.csumPartial !== 0) {
    // tcp_partial_csum_update / udp_partial_csum_update: ~csum_fold(diff(addr) + csum_unfold(check))
    wr16(buf, at, fold16(check + addrDiff));
    return;
  }
  if (f.protocol === IPPROTO_UDP) {
    if (check === 0) {
      if (f.moreFrags !== 0) return;
      // udp_*nat_handler full checksum calculation, new addresses, over the datagram: its UDP
      // length, not skb->len - udphoff as the kernel sums. They differ when the IP payload is
      // longer than the UDP length (legal: udp_rcv trims the excess with pskb_trim_rcsum before
      // verifying over ulen), and a sum over the excess would fail at the receiver.
      const ulen = f.payloadLen + UDP_HLEN;
      wr16(buf, at, 0);
      let c = csumFold(pseudoSum(f.saddr, f.daddr, IPPROTO_UDP, ulen) + csumPartial(buf, f.l4Off, ulen, 0));
      if (c === 0) c = 0xffff;
      wr16(buf, at, c);
      return;
    }
    let c = csumFold((~check & 0xffff) + addrDiff + portDiff);
    if (c === 0) c = 0xffff;
    wr16(buf, at, c);
    return;
  }
  // tcp_fast_csum_update: csum_fold(diff4(addr) + diff2(port) + ~csum_unfold(check))
  wr16(buf, at, csumFold((~check & 0xffff) + addrDiff + portDiff));
}

/**
 * Destination NAT (masq "in"): daddr:dport -> newAddr:newPort, checksums updated, f kept in step
 * (f.daddr, f.dport). For a frame without ports (ICMP, other protocols, non-first fragments)
 * only the address changes and newPort is ignored.
 */
export function rewriteDest(buf: Uint8Array, f: ParsedFrame, newAddr: number, newPort: number): void {
  newAddr >>>= 0; // callers pass int32 (src/packet/bytes.ts rd32i: addresses as arguments)
  const ip = f.l3Off;
  const aDiff = diff4(f.daddr, newAddr);
  wr32v(buf, ip + IPH_DADDR, newAddr);
  wr16(buf, ip + IPH_CHECK, csumFold((~rd16(buf, ip + IPH_CHECK) & 0xffff) + aDiff));
  f.daddr = newAddr;
  if (!hasPorts(f)) return;
  updateL4Check(buf, f, aDiff, writeDport(buf, f, newPort));
}

/**
 * Source NAT (masq "out", and the client side of full NAT): saddr:sport -> newAddr:newPort,
 * checksums updated, f.saddr / f.sport kept in step.
 */
export function rewriteSource(buf: Uint8Array, f: ParsedFrame, newAddr: number, newPort: number): void {
  newAddr >>>= 0;
  const ip = f.l3Off;
  const aDiff = diff4(f.saddr, newAddr);
  wr32v(buf, ip + IPH_SADDR, newAddr);
  wr16(buf, ip + IPH_CHECK, csumFold((~rd16(buf, ip + IPH_CHECK) & 0xffff) + aDiff));
  f.saddr = newAddr;
  if (!hasPorts(f)) return;
  updateL4Check(buf, f, aDiff, writeSport(buf, f, newPort));
}

/**
 * Full NAT: both ends at once (in: caddr:cport -> vaddr:vport becomes laddr:lport -> daddr:dport;
 * out: daddr:dport -> laddr:lport becomes vaddr:vport -> caddr:cport). One fold for the IP header
 * and one for the L4 checksum, instead of two each.
 */
export function rewriteBoth(
  buf: Uint8Array,
  f: ParsedFrame,
  newSaddr: number,
  newSport: number,
  newDaddr: number,
  newDport: number,
): void {
  newSaddr >>>= 0;
  newDaddr >>>= 0;
  const ip = f.l3Off;
  const aDiff = diff4(f.saddr, newSaddr) + diff4(f.daddr, newDaddr);
  wr32v(buf, ip + IPH_SADDR, newSaddr);
  wr32v(buf, ip + IPH_DADDR, newDaddr);
  wr16(buf, ip + IPH_CHECK, csumFold((~rd16(buf, ip + IPH_CHECK) & 0xffff) + aDiff));
  f.saddr = newSaddr;
  f.daddr = newDaddr;
  if (!hasPorts(f)) return;
  updateL4Check(buf, f, aDiff, writePorts(buf, f, newSport, newDport));
}

/**
 * ip_decrease_ttl() (include/net/ip.h): TTL - 1 with the kernel's incremental checksum
 *   check += htons(0x0100); check += (check >= 0xFFFF);
 * Returns false, changing nothing, when TTL <= 1: the caller then drops (DROP_TTL_EXCEEDED) and
 * may answer ICMP TIME_EXCEEDED (build-icmp.ts), as decrement_ttl() in ip_vs_xmit.c does.
 * The kernel decrements on both NAT directions: "in" in __ip_vs_get_out_rt() -> decrement_ttl()
 * for a non-local route, "out" in ip_forward() before the FORWARD hook. The pipeline decides.
 */
export function decTtl(buf: Uint8Array, f: ParsedFrame): boolean {
  const ip = f.l3Off;
  const ttl = buf[ip + IPH_TTL]!;
  if (ttl <= 1) return false;
  let check = rd16(buf, ip + IPH_CHECK) + 0x0100;
  check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
  wr16(buf, ip + IPH_CHECK, check);
  buf[ip + IPH_TTL] = ttl - 1;
  f.ttl = ttl - 1;
  return true;
}
