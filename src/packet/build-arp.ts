// Builders for the ARP frames the director originates: replies for the addresses it owns,
// requests for next hops, gratuitous ARP on takeover. Mirrors arp_create() in net/ipv4/arp.c.
//
// Builders write into caller memory (out, off) and return the frame length. Frames are not
// padded to 60 bytes: like the kernel's 42-byte ARP skb, the NIC (or veth) pads on the wire.
// MACs are (array, offset) pairs so a port MAC or a NeighTable slot can be used without copies.

import { wr16, wr32 } from './bytes.ts';
import { ARP_HLEN, ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST } from './arp.ts';
import { ETH_P_ARP, ETH_P_IP, copyMac, writeEthHeader } from './ethernet.ts';
import type { ParsedFrame } from './parsed-frame.ts';

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

/** Largest frame these builders write: 14 + 4 (802.1Q) + 28. */
export const ARP_MAX_FRAME = 46;

/** Write the 28-byte ARP body at o. */
function writeArpBody(
  out: Uint8Array,
  o: number,
  op: number,
  sha: Uint8Array,
  shaOff: number,
  spa: number,
  tha: Uint8Array,
  thaOff: number,
  tpa: number,
): void {
  wr16(out, o, ARPHRD_ETHER);
  wr16(out, o + 2, ETH_P_IP);
  out[o + 4] = 6;
  out[o + 5] = 4;
  wr16(out, o + 6, op);
  copyMac(out, o + 8, sha, shaOff);
  wr32(out, o + 14, spa);
  copyMac(out, o + 18, tha, thaOff);
  wr32(out, o + 24, tpa);
}

/**
 * Turn a parsed ARP request into the reply, in place (arp_process -> arp_send_dst(ARPOP_REPLY)):
 * Ethernet dst = requester, src = myMac; op = reply; sha = myMac, spa = the asked-for address,
 * tha/tpa = the requester's. The 802.1Q tag, if any, stays. Returns the new frame length
 * (Ethernet padding of the request is dropped).
 */
export function arpReplyInPlace(buf: Uint8Array, f: ParsedFrame, myMac: Uint8Array, myMacOff: number): number {
  const o = f.frameOff;
  const a = f.l3Off;
  const asked = f.arpTpa;
  const requester = f.arpSpa;
  copyMac(buf, o, buf, a + 8); // eth dst <- sha
  copyMac(buf, o + 6, myMac, myMacOff);
  wr16(buf, a + 6, ARPOP_REPLY);
  copyMac(buf, a + 18, buf, a + 8); // tha <- sha
  wr32(buf, a + 24, requester);
  copyMac(buf, a + 8, myMac, myMacOff);
  wr32(buf, a + 14, asked);
  f.arpOp = ARPOP_REPLY;
  f.arpSpa = asked;
  f.arpTpa = requester;
  return a + ARP_HLEN - o;
}

/** A unicast ARP reply: srcMac/srcIp answer to dstMac/dstIp. vlanTci -1 for untagged. */
export function buildArpReply(
  out: Uint8Array,
  off: number,
  srcMac: Uint8Array,
  srcMacOff: number,
  srcIp: number,
  dstMac: Uint8Array,
  dstMacOff: number,
  dstIp: number,
  vlanTci: number,
): number {
  const a = writeEthHeader(out, off, dstMac, dstMacOff, srcMac, srcMacOff, vlanTci, ETH_P_ARP);
  writeArpBody(out, a, ARPOP_REPLY, srcMac, srcMacOff, srcIp, dstMac, dstMacOff, dstIp);
  return a + ARP_HLEN - off;
}

/** A broadcast ARP request "who has targetIp, tell srcIp" (tha zero, as arp_create with no target_hw). */
export function buildArpRequest(
  out: Uint8Array,
  off: number,
  srcMac: Uint8Array,
  srcMacOff: number,
  srcIp: number,
  targetIp: number,
  vlanTci: number,
): number {
  const a = writeEthHeader(out, off, BROADCAST, 0, srcMac, srcMacOff, vlanTci, ETH_P_ARP);
  writeArpBody(out, a, ARPOP_REQUEST, srcMac, srcMacOff, srcIp, ZERO_MAC, 0, targetIp);
  return a + ARP_HLEN - off;
}

/**
 * A gratuitous ARP for ip: a broadcast request with spa = tpa = ip and tha zero, as the kernel
 * sends on address changes (arp_send(ARPOP_REQUEST, ..., ip, dev, ip, NULL, ...)) and
 * `arping -U` does; neighbours update their caches from sha/spa.
 */
export function buildGratuitousArp(
  out: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  ip: number,
  vlanTci: number,
): number {
  return buildArpRequest(out, off, mac, macOff, ip, ip, vlanTci);
}
