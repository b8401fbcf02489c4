// A sync message as a whole Ethernet frame, for a master that sends through the packet engine's
// TX ring instead of a UDP socket: the headers the kernel's send path would add to the datagram
// of make_send_sock's socket (ip_vs_sync.c): IPv4 to the group with the multicast TTL, no DF
// (IP_PMTUDISC_DONT), from the interface's address; UDP to the sync port; the group's multicast
// MAC (ip_eth_mc_map: 01:00:5e + the low 23 bits of the group).

import { csumPartial, csumTcpudpMagic, ipSendCheck } from '../packet/checksum.ts';

/** Ethernet + IPv4 (no options) + UDP. */
export const SYNC_FRAME_HEADROOM = 14 + 20 + 8;

/** The fixed parts of every frame of one master. */
export interface SyncFrameConfig {
  /** The port's MAC, 6 bytes. */
  readonly srcMac: Uint8Array;
  /** uint32 host order. */
  readonly saddr: number;
  readonly group: number;
  readonly ttl: number;
  readonly sport: number;
  readonly dport: number;
}

/**
 * Writes the headers in buf[off - SYNC_FRAME_HEADROOM, off) for the message buf[off, off + len);
 * returns the frame's start. The UDP checksum covers the message (a zero one would be legal for
 * IPv4, but a receiver may be strict).
 */
export function writeSyncFrame(buf: Buffer, off: number, len: number, c: SyncFrameConfig, ipId: number): number {
  const f = off - SYNC_FRAME_HEADROOM;
  const g = c.group >>> 0;
  buf[f] = 0x01;
  buf[f + 1] = 0x00;
  buf[f + 2] = 0x5e;
  buf[f + 3] = (g >>> 16) & 0x7f;
  buf[f + 4] = (g >>> 8) & 0xff;
  buf[f + 5] = g & 0xff;
  for (let i = 0; i < 6; i++) buf[f + 6 + i] = c.srcMac[i]!;
  buf[f + 12] = 0x08;
  buf[f + 13] = 0x00;
  const ip = f + 14;
  const total = 20 + 8 + len;
  buf[ip] = 0x45;
  buf[ip + 1] = 0; // TOS: the kernel's sync socket leaves it 0
  buf[ip + 2] = total >>> 8;
  buf[ip + 3] = total & 0xff;
  buf[ip + 4] = (ipId >>> 8) & 0xff;
  buf[ip + 5] = ipId & 0xff;
  buf[ip + 6] = 0; // no DF: IP_PMTUDISC_DONT
  buf[ip + 7] = 0;
  buf[ip + 8] = c.ttl;
  buf[ip + 9] = 17;
  buf.writeUInt32BE(c.saddr >>> 0, ip + 12);
  buf.writeUInt32BE(g, ip + 16);
  ipSendCheck(buf, ip);
  const udp = ip + 20;
  buf[udp] = c.sport >>> 8;
  buf[udp + 1] = c.sport & 0xff;
  buf[udp + 2] = c.dport >>> 8;
  buf[udp + 3] = c.dport & 0xff;
  buf[udp + 4] = (8 + len) >>> 8;
  buf[udp + 5] = (8 + len) & 0xff;
  buf[udp + 6] = 0;
  buf[udp + 7] = 0;
  let sum = csumTcpudpMagic(c.saddr >>> 0, g, 8 + len, 17, csumPartial(buf, udp, 8 + len, 0));
  if (sum === 0) sum = 0xffff; // RFC 768: a computed zero is sent as all ones
  buf[udp + 6] = sum >>> 8;
  buf[udp + 7] = sum & 0xff;
  return f;
}
