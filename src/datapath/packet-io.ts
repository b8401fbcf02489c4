// PacketIo: the I/O seam between the director's pipeline and a packet backend (native ring, pcap, memory).
//
// One call moves a batch, never a packet. A backend fills an RxBatch whose frames live in memory
// it owns (a TPACKET ring, a reused pool); the pipeline rewrites frames in place and queues them
// for transmit on a port; flush() hands the queued batch to the kernel in one native call.

/**
 * Headroom every backend leaves in front of each RX frame: the RX_HEADROOM bytes before the frame
 * (before its virtio_net_hdr when RXF_VNET_HDR) belong to that frame alone, so the pipeline may
 * grow it at the front in place, as LVS-TUN's encapsulation does, with its Ethernet and vnet
 * headers moved forward: at most an outer IPv6 header (40), the fragment header ip6_fragment()
 * inserts (8, 4in6 without DF), UDP (8) and GUE with its remote checksum option (4 + 8) = 68 bytes,
 * rounded up to a multiple of 16.
 */
export const RX_HEADROOM = 80;

export class RxBatch {
  /** Memory the frames live in. Frames may be rewritten in place until the next poll. */
  buf: Buffer;
  count: number;
  /** Frame start (the Ethernet header) in buf. */
  readonly off: Int32Array;
  readonly len: Int32Array;
  readonly flags: Uint8Array;
  /** Index of the port (interface) the frame arrived on. */
  readonly port: Uint8Array;

  constructor(capacity: number, buf: Buffer = Buffer.alloc(0)) {
    this.buf = buf;
    this.count = 0;
    this.off = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.port = new Uint8Array(capacity);
  }
}

export interface PortInfo {
  /** Interface name, e.g. eth0. */
  readonly name: string;
  readonly ifindex: number;
  /** MAC as 6 bytes. */
  readonly mac: Buffer;
  readonly mtu: number;
}

export interface PacketIo {
  readonly name: string;
  readonly ports: readonly PortInfo[];
  /**
   * Start delivering batches. The callback runs on the event loop; the batch (and its frames)
   * is valid only during the call. Frames not queued for TX by then are dropped/released.
   */
  start(onBatch: (batch: RxBatch) => void): void;
  /**
   * Queue a frame for transmit on a port. buf/off/len may point into the current RxBatch (zero copy)
   * or into caller memory that stays untouched until flush(). flags: RXF_VNET_HDR when a
   * virtio_net_hdr precedes the frame at off - 10 (needed for GSO/partial-checksum frames).
   * Returns false when the TX queue is full (the caller counts DROP_TX_FULL).
   */
  queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean;
  /** Send everything queued, in one native call per port. */
  flush(): void;
  close(): void;
  /**
   * The ifindex that port's interface name has now, 0 when there is none (deleted, or gone with
   * its veth peer's namespace). Called from a timer, never per packet. Backends whose ports
   * cannot go away (memory, pcap files) leave it out.
   */
  linkIfindex?(port: number): number;
  /**
   * Re-opens port on the interface that now holds its name (new ifindex, maybe a new MAC);
   * ports[port] describes it afterwards. Throws when it cannot (the interface is gone again).
   */
  reattach?(port: number): PortInfo;
}
