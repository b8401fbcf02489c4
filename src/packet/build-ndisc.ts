// Builders for the neighbour discovery frames the director originates (RFC 4861): advertisements
// answering a solicitation for an owned address (ndisc_recv_ns -> ndisc_send_na), unsolicited
// advertisements at start-up as IPv4 sends gratuitous ARP (ndisc_send_unsol_na), and
// solicitations resolving a real server or next hop (ndisc_send_ns to the solicited-node group).
//
// Builders write into caller memory (out, off) and return the frame length: 14 (+ 4 for 802.1Q)
// + 40 + 32 (24-byte NS/NA + one 8-byte link-layer address option). Hop limit 255 always (RFC 4861
// 7.1.1: receivers drop ND with any other). No allocation: the multicast MACs and addresses are
// written from the target's words.

import { wr16, wr32 } from './bytes.ts';
import { csumFold, csumPartial } from './checksum.ts';
import { pseudoSum6 } from './checksum6.ts';
import { ETH_P_IPV6, copyMac, writeEthHeader } from './ethernet.ts';
import {
  NA_OVERRIDE,
  NA_SOLICITED,
  ND_HLEN,
  ND_HOP_LIMIT,
  ND_OPT_LL_LEN,
  ND_OPT_SOURCE_LL_ADDR,
  ND_OPT_TARGET_LL_ADDR,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
} from './icmp6.ts';
import { IP6H_DADDR, IP6H_SADDR, IPV6_HLEN, writeAddr6 } from './ipv6.ts';
import { IPPROTO_ICMPV6 } from '../lib/inet.ts';
import type { ParsedFrame } from './parsed-frame.ts';

/** Largest frame these builders write: 14 + 4 (802.1Q) + 40 + 24 + 8. */
export const NDISC_MAX_FRAME = 90;
const ND_MSG_LEN = ND_HLEN + ND_OPT_LL_LEN;

// ff02::1 (all nodes) and 33:33:00:00:00:01, its MAC (RFC 2464 7: 33:33 + the last 32 bits).
const ALL_NODES = Uint32Array.of(0xff020000, 0, 0, 1);
const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);
// Scratch for the solicited-node address and its MAC, rewritten per call (never kept).
const snAddr = new Uint32Array(4);
const snMac = new Uint8Array(6);

/** Fixed IPv6 header + NS/NA body with one link-layer address option; the checksum last. */
function writeNd(
  out: Uint8Array,
  ip: number,
  saddr: Uint32Array,
  daddr: Uint32Array,
  type: number,
  flags: number,
  target: Uint32Array,
  optType: number,
  mac: Uint8Array,
  macOff: number,
): number {
  wr32(out, ip, 0x60000000);
  wr16(out, ip + 4, ND_MSG_LEN);
  out[ip + 6] = IPPROTO_ICMPV6;
  out[ip + 7] = ND_HOP_LIMIT;
  writeAddr6(out, ip + IP6H_SADDR, saddr, 0);
  writeAddr6(out, ip + IP6H_DADDR, daddr, 0);
  const m = ip + IPV6_HLEN;
  out[m] = type;
  out[m + 1] = 0;
  wr16(out, m + 2, 0);
  wr32(out, m + 4, (flags & 0xff) * 0x1000000);
  writeAddr6(out, m + 8, target, 0);
  out[m + ND_HLEN] = optType;
  out[m + ND_HLEN + 1] = 1;
  copyMac(out, m + ND_HLEN + 2, mac, macOff);
  const sum = pseudoSum6(saddr, daddr, IPPROTO_ICMPV6, ND_MSG_LEN) + csumPartial(out, m, ND_MSG_LEN, 0);
  wr16(out, m + 2, csumFold(sum));
  return m + ND_MSG_LEN;
}

/**
 * A neighbour advertisement for `target` from `mac`: IPv6 source = the target, flags NA_* (router,
 * solicited, override), a target link-layer address option with `mac`. Sent to daddr at dstMac.
 */
export function buildNeighAdvert(
  out: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  dstMac: Uint8Array,
  dstMacOff: number,
  vlanTci: number,
  target: Uint32Array,
  daddr: Uint32Array,
  flags: number,
): number {
  const ip = writeEthHeader(out, off, dstMac, dstMacOff, mac, macOff, vlanTci, ETH_P_IPV6);
  const end = writeNd(
    out,
    ip,
    target,
    daddr,
    NDISC_NEIGHBOUR_ADVERTISEMENT,
    flags,
    target,
    ND_OPT_TARGET_LL_ADDR,
    mac,
    macOff,
  );
  return end - off;
}

/**
 * The answer to a parsed solicitation for an owned address (ndisc_recv_ns -> ndisc_send_na):
 * from a unicast source, solicited + override back to it, at the MAC of its source link-layer
 * option (else the frame's source MAC); from :: (duplicate address detection, RFC 4862 5.4.3),
 * override only, to ff02::1. routerFlag is NA_ROUTER when this address forwards, else 0.
 */
export function buildNeighAdvertReply(
  out: Uint8Array,
  off: number,
  buf: Uint8Array,
  f: ParsedFrame,
  mac: Uint8Array,
  macOff: number,
  routerFlag: number,
): number {
  const s = f.saddr6;
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) {
    const fl = routerFlag | NA_OVERRIDE;
    return buildNeighAdvert(out, off, mac, macOff, ALL_NODES_MAC, 0, f.vlanTci, f.ndTarget6, ALL_NODES, fl);
  }
  const dmOff = f.ndLlaOff >= 0 ? f.ndLlaOff : f.frameOff + 6;
  const fl = routerFlag | NA_SOLICITED | NA_OVERRIDE;
  return buildNeighAdvert(out, off, mac, macOff, buf, dmOff, f.vlanTci, f.ndTarget6, s, fl);
}

/** An unsolicited advertisement of `target` to all nodes (ndisc_send_unsol_na: override, not solicited). */
export function buildUnsolicitedNeighAdvert(
  out: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  vlanTci: number,
  target: Uint32Array,
  routerFlag: number,
): number {
  return buildNeighAdvert(
    out,
    off,
    mac,
    macOff,
    ALL_NODES_MAC,
    0,
    vlanTci,
    target,
    ALL_NODES,
    routerFlag | NA_OVERRIDE,
  );
}

/**
 * A solicitation for `target` from saddr/mac (ndisc_send_ns): to the solicited-node group
 * ff02::1:ffXX:XXXX of the target's last 24 bits (RFC 4291 2.7.1), at 33:33:ff:XX:XX:XX, with a
 * source link-layer address option.
 */
export function buildNeighSolicit(
  out: Uint8Array,
  off: number,
  mac: Uint8Array,
  macOff: number,
  vlanTci: number,
  saddr: Uint32Array,
  target: Uint32Array,
): number {
  const low = target[3]!;
  snAddr[0] = 0xff020000;
  snAddr[1] = 0;
  snAddr[2] = 1;
  snAddr[3] = (0xff000000 | (low & 0xffffff)) >>> 0;
  snMac[0] = 0x33;
  snMac[1] = 0x33;
  snMac[2] = 0xff;
  snMac[3] = low >>> 16;
  snMac[4] = low >>> 8;
  snMac[5] = low;
  const ip = writeEthHeader(out, off, snMac, 0, mac, macOff, vlanTci, ETH_P_IPV6);
  const end = writeNd(
    out,
    ip,
    saddr,
    snAddr,
    NDISC_NEIGHBOUR_SOLICITATION,
    0,
    target,
    ND_OPT_SOURCE_LL_ADDR,
    mac,
    macOff,
  );
  return end - off;
}
