// tunnelHeadroom: the first step of every LVS-TUN transmitter (ip_vs_tunnel_xmit() and
// ip_vs_tunnel_xmit_v6(), ip_vs_xmit.c: skb_push() of the outer headers): the frame's link-layer
// header, and the virtio_net_hdr in front of it, move `hlen` bytes toward the frame's headroom
// (RX_HEADROOM, packet-io.ts) so the outer headers fit between them and the inner packet.
//
//   before:  [vnet 10][eth 14(+4)][inner IP ...]
//   after:   [vnet 10][eth 14(+4)][hlen bytes to fill][inner IP ...]    frame start moved hlen back

import { RXF_VNET_HDR, VNET_HDR_LEN } from '../packet/rx-flags.ts';

/** virtio_net_hdr: flags byte, then csum_start (little endian on this side of the socket) at 6. */
const VNET_F_NEEDS_CSUM = 1;

/**
 * Move the link-layer header of the frame at buf[fo], l2 bytes long, hlen bytes back, with its
 * virtio_net_hdr when `flags` has RXF_VNET_HDR; returns the new frame start. A partial checksum
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM) stays partial with csum_start moved by hlen, unless dropCsum:
 * the caller finished the checksum in software (skb_checksum_help()) or the far end does it.
 */
export function tunnelHeadroom(
  buf: Buffer,
  fo: number,
  l2: number,
  hlen: number,
  flags: number,
  dropCsum: boolean,
): number {
  const no = fo - hlen;
  // The virtio_net_hdr first, then the Ethernet header (with its 802.1Q tag): the Ethernet
  // header's new place overlaps the old virtio_net_hdr.
  if ((flags & RXF_VNET_HDR) !== 0) {
    const vo = no - VNET_HDR_LEN;
    for (let i = 0; i < VNET_HDR_LEN; i++) buf[vo + i] = buf[fo - VNET_HDR_LEN + i]!;
    if ((buf[vo]! & VNET_F_NEEDS_CSUM) !== 0) {
      if (dropCsum) {
        buf[vo] = buf[vo]! & ~VNET_F_NEEDS_CSUM;
      } else {
        const cs = buf[vo + 6]! | (buf[vo + 7]! << 8);
        buf[vo + 6] = (cs + hlen) & 0xff;
        buf[vo + 7] = (cs + hlen) >>> 8;
      }
    }
  }
  for (let i = 0; i < l2; i++) buf[no + i] = buf[fo + i]!;
  return no;
}
