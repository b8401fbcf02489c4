// Build a TCP/IPv6 segment the director sends itself (the SYN proxy's SYN-ACK to an IPv6 client
// and SYN / ACK to a real server): the IPv6 sibling of build-tcp.ts, what tcp_v6_send_synack()
// -> ip6_xmit() and tcp_v6_send_check() (net/ipv6/tcp_ipv6.c) put in the headers, with the full
// checksum over the IPv6 pseudo-header (RFC 8200 section 8.1, csum_ipv6_magic) computed here
// since no device offload follows. IPv6 has no header checksum and no identification; the
// traffic class is the segment's tos, the flow label 0. The Ethernet header is a placeholder with
// the template frame's MACs and VLAN tag, which the caller's route overwrites.

import { wr16, wr32 } from './bytes.ts';
import { csumFold, csumPartial } from './checksum.ts';
import { ETH_P_IPV6, writeEthHeader } from './ethernet.ts';
import { IP6H_DADDR, IP6H_HOPLIMIT, IP6H_NEXTHDR, IP6H_PLEN, IP6H_SADDR, IPV6_HLEN, writeAddr6 } from './ipv6.ts';
import type { ParsedFrame } from './parsed-frame.ts';
import { type TcpSegment, writeTcpHeader } from './build-tcp.ts';
import { TCP_HLEN } from './tcp.ts';

const IPPROTO_TCP = 6;
/** ipv6_devconf.hop_limit's default (IPV6_DEFAULT_HOPLIMIT). */
const IPV6_DEFAULT_HOPLIMIT = 64;
/** The largest frame buildTcp6Headers writes: Ethernet + 802.1Q + IPv6 + TCP + 40 bytes of options. */
export const TCP6_FRAME_MAX_BYTES = 18 + IPV6_HLEN + TCP_HLEN + 40;

/**
 * Write Ethernet (MACs copied from the template frame, its VLAN tag kept), IPv6 and TCP headers
 * at out[off] for the segment s from saddr[sAt .. sAt + 3] to daddr[dAt .. dAt + 3] (s.saddr,
 * s.daddr and s.ipId are IPv4's and unused), the optLen bytes of options already at
 * out[off + tcp6OptionsAt(tf)] and payloadLen bytes after them. Returns the frame length.
 */
export function buildTcp6Headers(
  out: Uint8Array,
  off: number,
  tpl: Uint8Array,
  tf: ParsedFrame,
  s: TcpSegment,
  saddr: Uint32Array,
  sAt: number,
  daddr: Uint32Array,
  dAt: number,
  optLen: number,
  payloadLen: number,
): number {
  const ip = writeEthHeader(out, off, tpl, tf.frameOff + 6, tpl, tf.frameOff, tf.vlanTci, ETH_P_IPV6);
  const thlen = TCP_HLEN + optLen;
  const l4len = thlen + payloadLen;
  wr32(out, ip, (0x60000000 | ((s.tos & 0xff) << 20)) >>> 0);
  wr16(out, ip + IP6H_PLEN, l4len);
  out[ip + IP6H_NEXTHDR] = IPPROTO_TCP;
  out[ip + IP6H_HOPLIMIT] = IPV6_DEFAULT_HOPLIMIT;
  writeAddr6(out, ip + IP6H_SADDR, saddr, sAt);
  writeAddr6(out, ip + IP6H_DADDR, daddr, dAt);
  const th = ip + IPV6_HLEN;
  writeTcpHeader(out, th, s, thlen);
  // csum_ipv6_magic: the pseudo-header's addresses are the bytes just written, summed with the
  // segment; then the 32-bit length and the next header.
  const sum = csumPartial(out, th, l4len, csumPartial(out, ip + IP6H_SADDR, 32, 0));
  wr16(out, th + 16, csumFold(sum + (l4len >>> 16) + (l4len & 0xffff) + IPPROTO_TCP));
  return th + l4len - off;
}

/** Offset from the frame start of the TCP options buildTcp6Headers expects, for a template frame. */
export function tcp6OptionsAt(tf: ParsedFrame): number {
  return (tf.vlanTci >= 0 ? 18 : 14) + IPV6_HLEN + TCP_HLEN;
}
