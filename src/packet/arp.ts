// ARP for Ethernet/IPv4 (RFC 826): parse the 28-byte body into a ParsedFrame.
// Mirrors the header checks of arp_rcv()/arp_process() in net/ipv4/arp.c.

import { DROP_NONE, DROP_SHORT_FRAME, DROP_BAD_ARP } from '../lib/drops.ts';
import { rd16, rd32i } from './bytes.ts';
import { GROUP_ARP } from './clear-groups.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const ARP_HLEN = 28;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

/**
 * Parse the ARP body at f.l3Off; frameEnd is the end of the frame. Sets arpOp, the offsets of
 * sha/spa/tha/tpa and spa/tpa as uint32.
 * DROP_SHORT_FRAME when 28 bytes do not fit; DROP_BAD_ARP unless hardware type Ethernet,
 * protocol IPv4, lengths 6/4 and op request or reply (arp_process ignores other ops).
 */
export function parseArp(buf: Uint8Array, f: ParsedFrame, frameEnd: number): number {
  const o = f.l3Off;
  if (frameEnd - o < ARP_HLEN) return DROP_SHORT_FRAME;
  if (rd16(buf, o) !== ARPHRD_ETHER || rd16(buf, o + 2) !== 0x0800 || buf[o + 4] !== 6 || buf[o + 5] !== 4) {
    return DROP_BAD_ARP;
  }
  const op = rd16(buf, o + 6);
  if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) return DROP_BAD_ARP;
  f.arpOp = op;
  f.arpShaOff = o + 8;
  f.arpSpaOff = o + 14;
  f.arpThaOff = o + 18;
  f.arpTpaOff = o + 24;
  f.arpSpa = rd32i(buf, o + 14) >>> 0;
  f.arpTpa = rd32i(buf, o + 24) >>> 0;
  f.groups |= GROUP_ARP;
  return DROP_NONE;
}
