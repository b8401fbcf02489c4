// Invariants of a frame the director emits (queued for TX): it leaves with the port's own source
// MAC; an IPv4 packet has a sane header (version 4, IHL >= 5, total length within the frame), a
// right header checksum and a TTL above zero; a TCP/UDP/ICMP packet that is not a later fragment
// has a header that fits (TCP data offset, UDP length) and a checksum that verifies, or one that
// is exactly as wrong as the checksum of the frame it was rewritten from (NAT never repairs or
// breaks a checksum: RFC 1624 updates keep the residual, see frame-view.ts).

import {
  ETH_P_ARP,
  ETH_P_IP,
  ethTypeOf,
  ipHeaderCheck,
  ipv4Shape,
  l3Of,
  l4CoveredLen,
  l4Residual,
  rd16,
  udpNoChecksum,
} from './frame-view.ts';

/** What the emitted frame is known to come from. */
export interface TxOrigin {
  /**
   * True when the L4 checksum field holds a CHECKSUM_PARTIAL pseudo-header sum, false when a full
   * one, null when unknown (a frame released later by the ARP queue): either kind is accepted.
   */
  partial: boolean | null;
  /** The source frame's L4 residual (0xffff = right, -1 = none); a wrong checksum may stay so. */
  residual: number;
  /** Residuals of recent source frames with wrong checksums, for frames of unknown origin. */
  recentBad: Pick<ReadonlySet<number>, 'has'> | null;
}

export const ANY_ORIGIN: TxOrigin = { partial: null, residual: -1, recentBad: null };

/** The first invariant the frame breaks, as a sentence, or null when it keeps them all. */
export function checkTxFrame(
  frame: Uint8Array,
  srcMac: Uint8Array | null,
  origin: TxOrigin = ANY_ORIGIN,
): string | null {
  const l3 = l3Of(frame);
  if (l3 < 0) return `frame of ${frame.length} bytes is shorter than an Ethernet header`;
  if (srcMac !== null) {
    for (let i = 0; i < 6; i++) if (frame[6 + i] !== srcMac[i]) return 'source MAC is not the port MAC';
  }
  const type = ethTypeOf(frame);
  if (type === ETH_P_ARP) {
    if (frame.length < l3 + 28) return `ARP frame of ${frame.length} bytes is truncated`;
    if (rd16(frame, l3) !== 1 || rd16(frame, l3 + 2) !== ETH_P_IP || frame[l3 + 4] !== 6 || frame[l3 + 5] !== 4)
      return 'ARP header is not Ethernet/IPv4';
    const op = rd16(frame, l3 + 6);
    return op === 1 || op === 2 ? null : `ARP op ${op}`;
  }
  if (type !== ETH_P_IP) return `EtherType 0x${type.toString(16)} emitted`;
  if (frame.length < l3 + 20) return 'IPv4 header is truncated';
  if (frame[l3]! >>> 4 !== 4) return `IP version ${frame[l3]! >>> 4}`;
  const ihl = (frame[l3]! & 15) * 4;
  if (ihl < 20) return `IHL ${ihl / 4} below 5`;
  if (l3 + ihl > frame.length) return `IHL ${ihl / 4} runs past the frame`;
  const totLen = rd16(frame, l3 + 2);
  if (totLen < ihl) return `IP total length ${totLen} below the header length ${ihl}`;
  if (l3 + totLen > frame.length) return `IP total length ${totLen} does not fit the ${frame.length}-byte frame`;
  if (ipHeaderCheck(frame, l3, ihl) !== 0) return 'IPv4 header checksum is wrong';
  if (frame[l3 + 8] === 0) return 'TTL 0 emitted';
  const s = ipv4Shape(frame)!;
  if (s.fragOff !== 0 || (s.proto !== 6 && s.proto !== 17 && s.proto !== 1)) return null;
  if (s.proto === 6 && s.l4Len >= 20) {
    const doff = (frame[s.l4 + 12]! >>> 4) * 4;
    if (doff < 20 || doff > s.l4Len) return `TCP data offset ${doff / 4} does not fit ${s.l4Len} bytes of segment`;
  }
  if (l4CoveredLen(frame, s) < 0) {
    if (s.moreFrags && s.proto === 17 && s.l4Len >= 8) return null; // a first fragment: the length is the datagram's
    return `${s.proto === 6 ? 'TCP' : s.proto === 17 ? 'UDP' : 'ICMP'} header does not fit ${s.l4Len} bytes`;
  }
  if (udpNoChecksum(frame, s) && origin.partial !== true) return null;
  return checkL4(frame, s, origin);
}

function same(a: number, b: number): boolean {
  return a === b || (a === 0 && b === 0xffff) || (a === 0xffff && b === 0);
}

function checkL4(frame: Uint8Array, s: NonNullable<ReturnType<typeof ipv4Shape>>, origin: TxOrigin): string | null {
  const name = s.proto === 6 ? 'TCP' : s.proto === 17 ? 'UDP' : 'ICMP';
  // ICMP has no pseudo-header and is never sent partial by the director.
  const kinds = s.proto === 1 ? [false] : origin.partial === null ? [false, true] : [origin.partial];
  for (const partial of kinds) {
    const r = l4Residual(frame, s, partial);
    if (same(r, 0xffff)) return null;
    if (origin.residual >= 0 && same(r, origin.residual)) return null;
    if (origin.recentBad !== null && origin.recentBad.has(r)) return null;
  }
  const what = kinds.length === 2 ? 'full or partial' : kinds[0] ? 'partial' : 'full';
  return `${name} checksum is wrong (${what}, residual 0x${l4Residual(frame, s, kinds[0]!).toString(16)})`;
}
