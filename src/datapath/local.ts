// Local: what the director answers itself for the addresses it owns in userspace (the job of
// arp_process() in net/ipv4/arp.c and icmp_echo() in net/ipv4/icmp.c on a kernel that has them).

import { DROP_BAD_ARP, DROP_NONE, DROP_NOT_FOR_US, DROP_BAD_L4_HEADER } from '../lib/drops.ts';
import { ARPOP_REPLY, ARPOP_REQUEST } from '../packet/arp.ts';
import { arpReplyInPlace, buildGratuitousArp } from '../packet/build-arp.ts';
import { icmpEchoReplyInPlace } from '../packet/build-icmp.ts';
import { ICMP_ECHO, icmpChecksumOk } from '../packet/icmp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';

/**
 * An ARP frame: learn the sender when the request targets us or when we already track it (as
 * arp_process does), and answer requests for an owned address with a reply made in place.
 */
export function handleArp(
  buf: Buffer,
  f: ParsedFrame,
  port: number,
  owned: OwnedAddrs,
  xmit: Xmit,
  nowMs: number,
): number {
  const forUs = owned.portOf(f.arpTpa) === port;
  if (f.arpOp !== ARPOP_REQUEST && f.arpOp !== ARPOP_REPLY) return DROP_BAD_ARP;
  if (f.arpSpa !== 0 && (forUs || xmit.neigh.has(f.arpSpa) || answersSibling(buf, f, port, xmit)))
    xmit.neigh.learn(f.arpSpa, port, buf, f.arpShaOff, nowMs);
  if (!forUs || f.arpOp !== ARPOP_REQUEST) return DROP_NONE;
  const len = arpReplyInPlace(buf, f, xmit.macs, port * 6);
  return xmit.queue(port, buf, f.frameOff, len, 0);
}

/**
 * With several workers (NeighTable.onLearn set), a reply unicast to this port's MAC answers a
 * request that one of the workers sent, whatever its sender address: every ARP frame reaches worker
 * 0 only, which learns it for all of them.
 */
function answersSibling(buf: Buffer, f: ParsedFrame, port: number, xmit: Xmit): boolean {
  return xmit.neigh.onLearn !== null && f.arpOp === ARPOP_REPLY && xmit.toPortMac(buf, f.frameOff, port);
}

/**
 * ICMP echo to an owned address: the reply, made in place, goes back where it came from. Its
 * source MAC is the port's own, as icmp_reply() -> neigh output writes dev->dev_addr: the
 * request's destination MAC may be broadcast or another host's (a flooded frame), never ours to
 * send from.
 */
export function handleEcho(buf: Buffer, f: ParsedFrame, port: number, xmit: Xmit): number {
  if (f.icmpType !== ICMP_ECHO) return DROP_NOT_FOR_US;
  if (!icmpChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
  const len = icmpEchoReplyInPlace(buf, f);
  const m = xmit.macs;
  const at = f.frameOff + 6;
  for (let i = 0; i < 6; i++) buf[at + i] = m[port * 6 + i]!;
  return xmit.queue(port, buf, f.frameOff, len, 0);
}

/** Gratuitous ARP for every owned address on its port (at start, so neighbours learn our MAC). */
export function announce(owned: OwnedAddrs, xmit: Xmit, queue: (port: number, frame: Buffer) => void): void {
  for (const [addr, port] of owned.entries()) {
    const frame = Buffer.alloc(64);
    const n = buildGratuitousArp(frame, 0, xmit.macs, port * 6, addr, -1);
    queue(port, frame.subarray(0, n));
  }
}
