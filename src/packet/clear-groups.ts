// clearGroups: the field groups of ParsedFrame (parsed-frame.ts) and their reset. A layer parser
// that succeeds writes every field of its group and sets the group's bit in ParsedFrame.groups;
// parseFrame then resets only the groups the previous frame wrote and this one did not
// (parseFrame in frame.ts), instead of ~45 stores per frame. Per packet: no allocation.

import type { ParsedFrame } from './parsed-frame.ts';

/** arpOp, arpShaOff, arpSpaOff, arpThaOff, arpTpaOff, arpSpa, arpTpa. */
export const GROUP_ARP = 1;
/** ipHdrLen ... l4Len: the IPv4 header fields, and IPv6's in the same fields. */
export const GROUP_IP = 2;
/** sport, dport, tcpFlags, tcpHdrLen, l4CsumOff, payloadOff, payloadLen. */
export const GROUP_L4 = 4;
/** icmpType, icmpCode, icmpId, icmpSeq, icmpIsError. */
export const GROUP_ICMP = 8;
/** innerL3Off ... innerDport: the packet an ICMP error quotes. */
export const GROUP_INNER = 16;
/** saddr6, daddr6, fragHdrOff. */
export const GROUP_IP6 = 32;
/** ndTarget6, ndLlaOff (NS / NA). */
export const GROUP_ND = 64;
/** innerSaddr6, innerDaddr6 (an ICMPv6 error's quote). */
export const GROUP_INNER6 = 128;

/** Reset the field groups in `mask` (GROUP_* bits) to their empty values. */
export function clearGroups(f: ParsedFrame, mask: number): void {
  if ((mask & GROUP_ARP) !== 0) {
    f.arpOp = 0;
    f.arpShaOff = -1;
    f.arpSpaOff = -1;
    f.arpThaOff = -1;
    f.arpTpaOff = -1;
    f.arpSpa = 0;
    f.arpTpa = 0;
  }
  if ((mask & GROUP_IP) !== 0) {
    f.ipHdrLen = 0;
    f.ipTotalLen = 0;
    f.ipTos = 0;
    f.ipId = 0;
    f.dontFrag = 0;
    f.moreFrags = 0;
    f.fragOff = 0;
    f.ttl = 0;
    f.protocol = 0;
    f.saddr = 0;
    f.daddr = 0;
    f.l4Off = -1;
    f.l4Len = 0;
  }
  if ((mask & GROUP_L4) !== 0) {
    f.sport = 0;
    f.dport = 0;
    f.tcpFlags = 0;
    f.tcpHdrLen = 0;
    f.l4CsumOff = -1;
    f.payloadOff = -1;
    f.payloadLen = 0;
  }
  if ((mask & GROUP_ICMP) !== 0) {
    f.icmpType = 0;
    f.icmpCode = 0;
    f.icmpId = 0;
    f.icmpSeq = 0;
    f.icmpIsError = 0;
  }
  if ((mask & GROUP_INNER) !== 0) {
    f.innerL3Off = -1;
    f.innerIpHdrLen = 0;
    f.innerProtocol = 0;
    f.innerSaddr = 0;
    f.innerDaddr = 0;
    f.innerFragOff = 0;
    f.innerL4Off = -1;
    f.innerSport = 0;
    f.innerDport = 0;
  }
  if ((mask & GROUP_IP6) !== 0) {
    f.saddr6.fill(0);
    f.daddr6.fill(0);
    f.fragHdrOff = -1;
  }
  if ((mask & GROUP_ND) !== 0) {
    f.ndTarget6.fill(0);
    f.ndLlaOff = -1;
  }
  if ((mask & GROUP_INNER6) !== 0) {
    f.innerSaddr6.fill(0);
    f.innerDaddr6.fill(0);
  }
}
