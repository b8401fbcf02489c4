// parseFrame: one frame -> the preallocated ParsedFrame, dispatching on EtherType then protocol
// (the eth_type_trans -> ip_rcv -> tcp/udp/icmp_rcv path, header checks only, no allocation).
//
// Verdict: DROP_NONE or a drop reason from src/lib/drops.ts. Every reader checks bounds before it
// reads; a malformed frame never throws and never reads outside [off, off + len).
//   Ethernet II, one 802.1Q tag        parseEthernet
//   ARP (0x0806)                       parseArp
//   IPv4 (0x0800)                      parseIpv4, then unless a non-first fragment:
//     TCP / UDP / ICMP                 parseTcp / parseUdp / parseIcmp
//     other protocols                  DROP_NONE with no L4 fields (the pipeline decides)
//   IPv6 (0x86dd)                      parseIpv6 (extension headers walked, bounded), then unless a
//     TCP / UDP / ICMPv6                 non-first fragment: parseTcp / parseUdp / parseIcmp6
//     other protocols                  DROP_NONE with no L4 fields
//   anything else                      DROP_BAD_ETHERTYPE with f.ethType set
// IPv6 is the branch after IPv4's, so IPv4 frames pay one compare for it.
// A non-first fragment (f.fragOff > 0) returns DROP_NONE with only the IP fields set.

import { DROP_NONE, DROP_BAD_ETHERTYPE } from '../lib/drops.ts';
import { RXF_CSUM_PARTIAL, RXF_GSO } from './rx-flags.ts';
import { parseArp } from './arp.ts';
import { ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, parseEthernet } from './ethernet.ts';
import { parseIcmp } from './icmp.ts';
import { parseIcmp6 } from './icmp6.ts';
import { parseIpv4 } from './ipv4.ts';
import { parseIpv6 } from './ipv6.ts';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { ParsedFrame } from './parsed-frame.ts';
import { clearGroups } from './clear-groups.ts';
import { parseTcp } from './tcp.ts';
import { parseUdp } from './udp.ts';

export { ParsedFrame };

/**
 * Parse the frame buf[off, off + len) into f. rxFlags are the RXF_* bits the backend reported
 * (RXF_CSUM_PARTIAL sets f.csumPartial, RXF_GSO sets f.gso).
 */
export function parseFrame(buf: Uint8Array, off: number, len: number, rxFlags: number, f: ParsedFrame): number {
  f.frameOff = off;
  f.frameLen = len;
  f.rxFlags = rxFlags;
  f.csumPartial = (rxFlags & RXF_CSUM_PARTIAL) !== 0 ? 1 : 0;
  f.gso = (rxFlags & RXF_GSO) !== 0 ? 1 : 0;
  f.ethType = 0;
  f.vlanTci = -1;
  f.l3Off = -1;
  const before = f.groups;
  f.groups = 0;
  const r = parseLayers(buf, off + len, f);
  // Reset what the previous frame wrote and this one did not (usually nothing).
  const stale = before & ~f.groups;
  if (stale !== 0) clearGroups(f, stale);
  return r;
}

function parseLayers(buf: Uint8Array, end: number, f: ParsedFrame): number {
  let r = parseEthernet(buf, f);
  if (r !== DROP_NONE) return r;
  const type = f.ethType;
  if (type === ETH_P_IP) {
    r = parseIpv4(buf, f, end);
    if (r !== DROP_NONE || f.fragOff !== 0) return r;
    const p = f.protocol;
    if (p === IPPROTO_TCP) return parseTcp(buf, f);
    if (p === IPPROTO_UDP) return parseUdp(buf, f);
    if (p === IPPROTO_ICMP) return parseIcmp(buf, f);
    return DROP_NONE;
  }
  if (type === ETH_P_IPV6) {
    r = parseIpv6(buf, f, end);
    if (r !== DROP_NONE || f.fragOff !== 0) return r;
    const p = f.protocol;
    if (p === IPPROTO_TCP) return parseTcp(buf, f);
    if (p === IPPROTO_UDP) return parseUdp(buf, f);
    if (p === IPPROTO_ICMPV6) return parseIcmp6(buf, f);
    return DROP_NONE;
  }
  if (type === ETH_P_ARP) return parseArp(buf, f, end);
  return DROP_BAD_ETHERTYPE;
}
