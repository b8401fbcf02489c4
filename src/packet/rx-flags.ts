// Per-frame receive flags a packet backend reports with each frame (the TP_STATUS_* and
// virtio_net_hdr facts the parser needs), and the virtio_net_hdr length. They sit with the
// packet codecs because parseFrame reads them; the I/O seam (src/datapath/packet-io.ts) carries
// them.

// Per-frame flag bits in RxBatch.flags:
/** TP_STATUS_CSUMNOTREADY / VIRTIO_NET_HDR_F_NEEDS_CSUM: the L4 checksum field holds only the pseudo-header sum. */
export const RXF_CSUM_PARTIAL = 0x01;
export const RXF_VNET_HDR = 0x02; // a 10-byte struct virtio_net_hdr sits just before the frame (at off - 10)
export const RXF_GSO = 0x04; // a GSO superpacket (gso_type != NONE): may be larger than the MTU
export const RXF_CSUM_VALID = 0x08; // TP_STATUS_CSUM_VALID / DATA_VALID: the kernel verified it

export const VNET_HDR_LEN = 10;
