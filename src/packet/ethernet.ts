// Ethernet II header (+ one 802.1Q tag): parse into a ParsedFrame and small MAC helpers.
// Mirrors what eth_type_trans() + vlan untagging (net/ethernet/eth.c, net/8021q) leave the stack.

import { DROP_NONE, DROP_SHORT_FRAME, DROP_BAD_ETHERTYPE } from '../lib/drops.ts';
import { rd16 } from './bytes.ts';
import type { ParsedFrame } from './parsed-frame.ts';

export const ETH_ALEN = 6;
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
/** Smallest Ethernet frame without FCS; shorter frames are padded on the wire. */
export const ETH_ZLEN = 60;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;
/** Values below this are IEEE 802.3 lengths, not EtherTypes (not Ethernet II). */
export const ETH_P_802_3_MIN = 0x0600;

/**
 * Parse the Ethernet header at f.frameOff (f.frameLen bytes). Sets ethType, vlanTci (-1 when
 * untagged; an 802.1Q tag is skipped but left in the frame) and l3Off.
 * Returns DROP_SHORT_FRAME when the header does not fit, DROP_BAD_ETHERTYPE for 802.3 frames
 * and stacked tags (802.1ad / QinQ are not handled), else DROP_NONE.
 */
export function parseEthernet(buf: Uint8Array, f: ParsedFrame): number {
  const o = f.frameOff;
  if (f.frameLen < ETH_HLEN) return DROP_SHORT_FRAME;
  let type = rd16(buf, o + 12);
  let l3 = o + ETH_HLEN;
  if (type === ETH_P_8021Q) {
    if (f.frameLen < ETH_HLEN + VLAN_HLEN) return DROP_SHORT_FRAME;
    f.vlanTci = rd16(buf, o + 14);
    type = rd16(buf, o + 16);
    l3 += VLAN_HLEN;
  } else {
    f.vlanTci = -1;
  }
  f.ethType = type;
  f.l3Off = l3;
  if (type < ETH_P_802_3_MIN || type === ETH_P_8021Q || type === ETH_P_8021AD) return DROP_BAD_ETHERTYPE;
  return DROP_NONE;
}

/** Copy a 6-byte MAC. */
export function copyMac(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number): void {
  dst[dstOff] = src[srcOff]!;
  dst[dstOff + 1] = src[srcOff + 1]!;
  dst[dstOff + 2] = src[srcOff + 2]!;
  dst[dstOff + 3] = src[srcOff + 3]!;
  dst[dstOff + 4] = src[srcOff + 4]!;
  dst[dstOff + 5] = src[srcOff + 5]!;
}

/** Swap destination and source MAC of the frame at off, in place. */
export function swapMacs(buf: Uint8Array, off: number): void {
  for (let i = 0; i < ETH_ALEN; i++) {
    const t = buf[off + i]!;
    buf[off + i] = buf[off + ETH_ALEN + i]!;
    buf[off + ETH_ALEN + i] = t;
  }
}

/** True when the MAC at off is a group (multicast or broadcast) address: I/G bit set. */
export function isMulticastMac(buf: Uint8Array, off: number): boolean {
  return (buf[off]! & 1) === 1;
}

/**
 * Write an Ethernet header (and an 802.1Q tag when vlanTci >= 0) at off; returns the L3 offset.
 * MACs are read from (dstMac, dstMacOff) and (srcMac, srcMacOff).
 */
export function writeEthHeader(
  out: Uint8Array,
  off: number,
  dstMac: Uint8Array,
  dstMacOff: number,
  srcMac: Uint8Array,
  srcMacOff: number,
  vlanTci: number,
  ethType: number,
): number {
  copyMac(out, off, dstMac, dstMacOff);
  copyMac(out, off + ETH_ALEN, srcMac, srcMacOff);
  let o = off + 12;
  if (vlanTci >= 0) {
    out[o] = ETH_P_8021Q >>> 8;
    out[o + 1] = ETH_P_8021Q & 0xff;
    out[o + 2] = vlanTci >>> 8;
    out[o + 3] = vlanTci;
    o += VLAN_HLEN;
  }
  out[o] = ethType >>> 8;
  out[o + 1] = ethType;
  return o + 2;
}

/** "02:00:00:00:00:01" -> its 6 bytes (text at the edges: config, sysfs, tests); throws on anything else. */
export function parseMac(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`bad MAC address: ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
