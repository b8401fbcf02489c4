// A sync message as a whole Ethernet frame, for a master that sends through the packet engine's
// TX ring instead of a UDP socket: the headers the kernel's send path would add to the datagram
// of make_send_sock's socket (ip_vs_sync.c): IPv4 to the group with the multicast TTL, no DF
// (IP_PMTUDISC_DONT), from the interface's address; UDP to the sync port; the group's multicast
// MAC (ip_eth_mc_map: 01:00:5e + the low 23 bits of the group).

import { csumPartial, csumTcpudpMagic, ipSendCheck } from '../packet/checksum.ts';
import { VNET_HDR_LEN } from '../packet/rx-flags.ts';

/** Ethernet + IPv4 (no options) + UDP. */
export const SYNC_FRAME_HDR_LEN = 14 + 20 + 8;
/** What a master keeps free before each message: the headers, and a virtio_net_hdr before them. */
export const SYNC_FRAME_HEADROOM = VNET_HDR_LEN + SYNC_FRAME_HDR_LEN;
/** virtio_net_hdr flags: VIRTIO_NET_HDR_F_NEEDS_CSUM. */
const VNET_F_NEEDS_CSUM = 1;

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
 * Writes the headers in buf[off - SYNC_FRAME_HDR_LEN, off) for the message buf[off, off + len);
 * returns the frame's start. The UDP checksum covers the message (a zero one would be legal for
 * IPv4, but a receiver may be strict). With csumOffload the frame leaves as the kernel's own UDP
 * socket sends it (CHECKSUM_PARTIAL, udp4_hwcsum): the check field holds the pseudo-header sum and
 * a virtio_net_hdr before the frame (VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start at UDP, csum_offset
 * 6, little endian) has the kernel or the NIC sum the message; send it with RXF_VNET_HDR. Summing
 * 1,480 bytes in JavaScript was the largest part of the master's sync cost.
 */
export function writeSyncFrame(
  buf: Buffer,
  off: number,
  len: number,
  c: SyncFrameConfig,
  ipId: number,
  csumOffload: boolean,
): number {
  const f = off - SYNC_FRAME_HDR_LEN;
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
  if (csumOffload) {
    const v = f - VNET_HDR_LEN;
    buf[v] = VNET_F_NEEDS_CSUM;
    buf[v + 1] = 0; // gso_type VIRTIO_NET_HDR_GSO_NONE
    buf[v + 2] = 0; // hdr_len
    buf[v + 3] = 0;
    buf[v + 4] = 0; // gso_size
    buf[v + 5] = 0;
    buf[v + 6] = udp - f; // csum_start, from the frame's start
    buf[v + 7] = 0;
    buf[v + 8] = 6; // csum_offset: the UDP check field
    buf[v + 9] = 0;
    const pseudo = ~csumTcpudpMagic(c.saddr >>> 0, g, 8 + len, 17, 0) & 0xffff;
    buf[udp + 6] = pseudo >>> 8;
    buf[udp + 7] = pseudo & 0xff;
    return f;
  }
  let sum = csumTcpudpMagic(c.saddr >>> 0, g, 8 + len, 17, csumPartial(buf, udp, 8 + len, 0));
  if (sum === 0) sum = 0xffff; // RFC 768: a computed zero is sent as all ones
  buf[udp + 6] = sum >>> 8;
  buf[udp + 7] = sum & 0xff;
  return f;
}
