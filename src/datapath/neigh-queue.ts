// NeighQueue: the frames held while their next hop resolves, the kernel's per-neighbour arp_queue
// (__neigh_event_send() in net/core/neighbour.c queues, neigh_update() sends, neigh_invalidate() drops).
//
// Frames are copied into a fixed pool of PENDING_SLOTS x PENDING_BYTES linked per neighbour slot
// (head index per slot, next index per frame), so holding a frame allocates nothing. The pool is
// shared by every neighbour; pendingPerEntry bounds one neighbour's share, like unres_qlen.

import { RXF_VNET_HDR, VNET_HDR_LEN } from '../packet/rx-flags.ts';

/** Where held frames go when their neighbour resolves or fails. */
export interface NeighQueueSink {
  /**
   * Send a frame that was waiting for ip; dst MAC is already written. The memory is reused as soon
   * as this returns, so the sink must copy it or send it before returning (resolution is rare).
   */
  transmit(port: number, buf: Buffer, off: number, len: number, flags: number): void;
  /** Count a frame dropped because its next hop did not resolve. */
  dropUnresolved(): void;
}

const PENDING_SLOTS = 256;
const PENDING_BYTES = 2048; // VNET_HDR_LEN reserved + a full-size 1500-byte frame with room

export class NeighQueue {
  private readonly head: Int32Array;
  private readonly count: Uint8Array;
  private readonly buf: Buffer;
  private readonly next: Int32Array;
  private readonly len: Int32Array;
  private readonly flags: Uint8Array;
  private readonly port: Int16Array;
  private free: number;

  /** slots: how many neighbour slots hold queues; pendingPerEntry: the most frames one may hold. */
  constructor(
    private readonly sink: NeighQueueSink,
    slots: number,
    private readonly pendingPerEntry: number,
  ) {
    this.head = new Int32Array(slots).fill(-1);
    this.count = new Uint8Array(slots);
    this.buf = Buffer.alloc(PENDING_SLOTS * PENDING_BYTES);
    this.next = new Int32Array(PENDING_SLOTS);
    this.len = new Int32Array(PENDING_SLOTS);
    this.flags = new Uint8Array(PENDING_SLOTS);
    this.port = new Int16Array(PENDING_SLOTS);
    for (let i = 0; i < PENDING_SLOTS; i++) this.next[i] = i + 1 < PENDING_SLOTS ? i + 1 : -1;
    this.free = 0;
  }

  /** Make slot's queue empty without sending or counting anything (a freshly allocated slot). */
  reset(slot: number): void {
    this.head[slot] = -1;
    this.count[slot] = 0;
  }

  /**
   * Copy a frame onto slot's queue, after the frames already there. Returns false when it cannot
   * be held: too long, the pool is empty or slot already holds pendingPerEntry frames.
   */
  hold(slot: number, port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    if (len > PENDING_BYTES - VNET_HDR_LEN || this.free < 0 || this.count[slot]! >= this.pendingPerEntry) return false;
    const p = this.free;
    this.free = this.next[p]!;
    // The frame goes at VNET_HDR_LEN into the slot, with its virtio_net_hdr (if any) just before it.
    const hdr = flags & RXF_VNET_HDR ? VNET_HDR_LEN : 0;
    buf.copy(this.buf, p * PENDING_BYTES + VNET_HDR_LEN - hdr, off - hdr, off + len);
    this.len[p] = len;
    this.flags[p] = flags;
    this.port[p] = port;
    // Append at the tail so frames leave in order.
    this.next[p] = -1;
    let h = this.head[slot]!;
    if (h < 0) this.head[slot] = p;
    else {
      while (this.next[h]! >= 0) h = this.next[h]!;
      this.next[h] = p;
    }
    this.count[slot] = this.count[slot]! + 1;
    return true;
  }

  /**
   * Empty slot's queue: with send, each frame gets the 6-byte MAC at macs[macOff] as its dst MAC
   * and goes to the sink; without, each is counted as dropped unresolved.
   */
  flush(slot: number, send: boolean, macs: Uint8Array, macOff: number): void {
    let p = this.head[slot]!;
    this.head[slot] = -1;
    this.count[slot] = 0;
    while (p >= 0) {
      const next = this.next[p]!;
      if (send) {
        const off = p * PENDING_BYTES + VNET_HDR_LEN;
        for (let i = 0; i < 6; i++) this.buf[off + i] = macs[macOff + i]!;
        this.sink.transmit(this.port[p]!, this.buf, off, this.len[p]!, this.flags[p]!);
      } else {
        this.sink.dropUnresolved();
      }
      this.next[p] = this.free;
      this.free = p;
      p = next;
    }
  }
}
