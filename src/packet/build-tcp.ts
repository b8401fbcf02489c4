// Build a TCP/IPv4 segment the director sends itself (the SYN proxy's SYN-ACK to a client and
// SYN / ACK to a real server): what tcp_make_synack() and __tcp_transmit_skb()
// (net/ipv4/tcp_output.c) put in the headers, with the full checksum computed here since no
// device offload follows. The Ethernet header is written by the caller's route (Xmit.toAddr);
// this writes a placeholder with the template frame's VLAN tag so toAddr finds the same layout.

import { wr16, wr32 } from './bytes.ts';
import { csumFold, csumPartial, ipSendCheck, pseudoSum } from './checksum.ts';
import { ETH_P_IP, writeEthHeader } from './ethernet.ts';
import { IP_DF, IPH_CHECK, IPH_DADDR, IPH_FRAG, IPH_SADDR, IPH_TOT_LEN, IPH_TTL, IPV4_HLEN } from './ipv4.ts';
import type { ParsedFrame } from './parsed-frame.ts';
import { TCP_HLEN } from './tcp.ts';

const IPPROTO_TCP = 6;
/** sysctl_ip_default_ttl. */
const IP_DEFAULT_TTL = 64;
/** The largest frame buildTcpHeaders writes: Ethernet + 802.1Q + IPv4 + TCP + 40 bytes of options. */
export const TCP_FRAME_MAX_BYTES = 18 + IPV4_HLEN + TCP_HLEN + 40;

/** The header fields of a segment to build; one instance reused by its owner. */
export class TcpSegment {
  saddr = 0;
  daddr = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  ipId = 0;
  tos = 0;
}

/**
 * Write Ethernet (MACs copied from the template frame, its VLAN tag kept), IPv4 and TCP headers at
 * out[off], the optLen bytes of options already at out[off + l2 + 40] (l2 = 14, or 18 tagged) and
 * payloadLen bytes after them. Returns the frame length.
 */
export function buildTcpHeaders(
  out: Uint8Array,
  off: number,
  tpl: Uint8Array,
  tf: ParsedFrame,
  s: TcpSegment,
  optLen: number,
  payloadLen: number,
): number {
  const ip = writeEthHeader(out, off, tpl, tf.frameOff + 6, tpl, tf.frameOff, tf.vlanTci, ETH_P_IP);
  const thlen = TCP_HLEN + optLen;
  const tot = IPV4_HLEN + thlen + payloadLen;
  out[ip] = 0x45;
  out[ip + 1] = s.tos;
  wr16(out, ip + IPH_TOT_LEN, tot);
  wr16(out, ip + 4, s.ipId);
  wr16(out, ip + IPH_FRAG, IP_DF);
  out[ip + IPH_TTL] = IP_DEFAULT_TTL;
  out[ip + 9] = IPPROTO_TCP;
  wr16(out, ip + IPH_CHECK, 0);
  wr32(out, ip + IPH_SADDR, s.saddr);
  wr32(out, ip + IPH_DADDR, s.daddr);
  ipSendCheck(out, ip);
  const th = ip + IPV4_HLEN;
  writeTcpHeader(out, th, s, thlen);
  const l4len = thlen + payloadLen;
  wr16(out, th + 16, csumFold(pseudoSum(s.saddr, s.daddr, IPPROTO_TCP, l4len) + csumPartial(out, th, l4len, 0)));
  return th + l4len - off;
}

/** The fixed TCP header of s at out[th], thlen bytes with options, checksum and urgent pointer 0. */
export function writeTcpHeader(out: Uint8Array, th: number, s: TcpSegment, thlen: number): void {
  wr16(out, th, s.sport);
  wr16(out, th + 2, s.dport);
  wr32(out, th + 4, s.seq);
  wr32(out, th + 8, s.ack);
  out[th + 12] = (thlen >>> 2) << 4;
  out[th + 13] = s.flags;
  wr16(out, th + 14, s.window);
  wr16(out, th + 16, 0);
  wr16(out, th + 18, 0);
}

/** Offset from the frame start of the TCP options buildTcpHeaders expects, for a template frame. */
export function tcpOptionsAt(tf: ParsedFrame): number {
  return (tf.vlanTci >= 0 ? 18 : 14) + IPV4_HLEN + TCP_HLEN;
}
