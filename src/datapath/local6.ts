// Local6: what the director answers itself for the IPv6 addresses it owns in userspace, the IPv6
// side of local.ts: neighbour discovery (ndisc_recv_ns / ndisc_recv_na in net/ipv6/ndisc.c) and
// echo (icmpv6_echo_reply in net/ipv6/icmp.c), and the unsolicited advertisements at start
// (ndisc_send_unsol_na, the IPv6 gratuitous ARP).

import { DROP_BAD_L4_HEADER, DROP_NONE, DROP_NOT_FOR_US } from '../lib/drops.ts';
import { buildNeighAdvertReply, buildUnsolicitedNeighAdvert, NDISC_MAX_FRAME } from '../packet/build-ndisc.ts';
import { icmp6EchoReplyInPlace } from '../packet/build-icmp6.ts';
import { ICMPV6_ECHO_REQUEST, icmp6ChecksumOk, NA_ROUTER, NDISC_NEIGHBOUR_SOLICITATION } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';

/**
 * A neighbour solicitation or advertisement (parseIcmp6 checked hop limit 255, code 0, the
 * options). NS for an owned address on this port: learn the sender from its source link-layer
 * option (ndisc_recv_ns -> neigh_event_ns) and answer with an NA written at out[outOff], solicited
 * and override, with the router flag (the director forwards for the address). NA: learn its target
 * when the table tracks it (ndisc_recv_na updates, never creates). Anything else is the kernel's
 * (the DIP, its link-local addresses): DROP_NONE without an answer.
 */
export function handleNdisc6(
  buf: Buffer,
  f: ParsedFrame,
  port: number,
  owned: OwnedAddrs,
  xmit: Xmit,
  x6: Xmit6,
  out: Buffer,
  outOff: number,
  nowMs: number,
): number {
  if (f.icmpType === NDISC_NEIGHBOUR_SOLICITATION) {
    if (owned.portOf6(f.ndTarget6) !== port) return DROP_NONE;
    if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    const s = f.saddr6;
    if ((s[0]! | s[1]! | s[2]! | s[3]!) !== 0 && f.ndLlaOff >= 0) x6.learn(s, port, buf, f.ndLlaOff, nowMs);
    if (outOff < 0) return DROP_NONE;
    const n = buildNeighAdvertReply(out, outOff, buf, f, xmit.macs, port * 6, NA_ROUTER);
    return xmit.queue(port, out, outOff, n, 0);
  }
  if (f.ndLlaOff >= 0 && (x6.has(f.ndTarget6) || answersSibling6(buf, f, port, xmit, x6)) && icmp6ChecksumOk(buf, f))
    x6.learn(f.ndTarget6, port, buf, f.ndLlaOff, nowMs);
  return DROP_NONE;
}

/**
 * With several workers (the IPv6 table's onLearn set, on worker 0), an NA unicast to this port's
 * MAC answers a solicitation one of the workers sent: neighbour discovery reaches worker 0 only
 * (fanout-program6.ts), which learns it for all of them, as local.ts does for ARP replies.
 */
function answersSibling6(buf: Buffer, f: ParsedFrame, port: number, xmit: Xmit, x6: Xmit6): boolean {
  return x6.neigh.onLearn !== null && xmit.toPortMac(buf, f.frameOff, port);
}

/**
 * ICMPv6 echo request to an owned address: the reply, made in place, goes back on the port it
 * came in on, from the port's own MAC (as handleEcho does for IPv4).
 */
export function handleEcho6(buf: Buffer, f: ParsedFrame, port: number, xmit: Xmit): number {
  if (f.icmpType !== ICMPV6_ECHO_REQUEST) return DROP_NOT_FOR_US;
  if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
  const len = icmp6EchoReplyInPlace(buf, f);
  const m = xmit.macs;
  const at = f.frameOff + 6;
  for (let i = 0; i < 6; i++) buf[at + i] = m[port * 6 + i]!;
  return xmit.queue(port, buf, f.frameOff, len, 0);
}

/** Unsolicited NA for every owned IPv6 address on its port (at start, as gratuitous ARP for IPv4). */
export function announce6(owned: OwnedAddrs, xmit: Xmit, queue: (port: number, frame: Buffer) => void): void {
  for (const [addr, port] of owned.entries6()) {
    const frame = Buffer.alloc(NDISC_MAX_FRAME);
    const n = buildUnsolicitedNeighAdvert(frame, 0, xmit.macs, port * 6, -1, addr, NA_ROUTER);
    queue(port, frame.subarray(0, n));
  }
}
