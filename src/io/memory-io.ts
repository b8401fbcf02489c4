// MemoryIo: an in-memory PacketIo for unit tests. Tests inject frames (with flags, a port and an
// optional virtio_net_hdr), deliver them as batches, and read back what the pipeline queued and
// flushed per port. Same rules as the real backends: frames live in one pool Buffer with 10 bytes
// of headroom each, queued frames are sent (captured) when the batch callback returns.

import { RX_HEADROOM, RxBatch, type PacketIo, type PortInfo } from '../datapath/packet-io.ts';
import { RXF_VNET_HDR, VNET_HDR_LEN } from '../packet/rx-flags.ts';
import { TxQueue } from './tx-queue.ts';
import { parseMac } from '../packet/ethernet.ts';

export interface MemoryPortSpec {
  name: string;
  /** "02:00:00:00:00:01" or 6 bytes; default 02:00:00:00:00:<index+1>. */
  mac?: string | Buffer;
  mtu?: number;
  ifindex?: number;
}

export interface MemoryIoOptions {
  /** Frames per batch (default 64). */
  batchSize?: number;
  /** Pool for injected frames (default 1 MiB). */
  poolBytes?: number;
  /** TX queue length before queueTx returns false (default 1024). */
  txCapacity?: number;
}

/** A frame the pipeline sent: a copy of its bytes, its flags and its virtio_net_hdr if flagged. */
export interface SentFrame {
  readonly port: number;
  readonly frame: Buffer;
  readonly flags: number;
  readonly vnet: Buffer | null;
}

export class MemoryIo implements PacketIo {
  readonly name = 'memory';
  readonly ports: readonly PortInfo[];
  /** Frames flushed so far, in order, over all ports. */
  readonly sent: SentFrame[] = [];
  /** Batches delivered and flush() calls that sent something. */
  batches = 0;
  flushes = 0;
  private readonly pool: Buffer;
  private poolUsed = 0;
  private readonly batch: RxBatch;
  private readonly pendOff: number[] = [];
  private readonly pendLen: number[] = [];
  private readonly pendFlags: number[] = [];
  private readonly pendPort: number[] = [];
  private readonly tx: TxQueue;
  private onBatch: ((b: RxBatch) => void) | null = null;
  private closed = false;

  constructor(ports: readonly MemoryPortSpec[], opts: MemoryIoOptions = {}) {
    this.ports = ports.map((p, i) => ({
      name: p.name,
      ifindex: p.ifindex ?? i + 1,
      mac:
        p.mac === undefined ? Buffer.from([2, 0, 0, 0, 0, i + 1]) : typeof p.mac === 'string' ? parseMac(p.mac) : p.mac,
      mtu: p.mtu ?? 1500,
    }));
    this.pool = Buffer.alloc(opts.poolBytes ?? 1 << 20);
    this.batch = new RxBatch(opts.batchSize ?? 64, this.pool);
    this.tx = new TxQueue(opts.txCapacity ?? 1024, this.ports.length, true);
  }

  start(onBatch: (batch: RxBatch) => void): void {
    this.onBatch = onBatch;
  }

  /** Frames injected and not yet delivered. */
  get pending(): number {
    return this.pendOff.length;
  }

  /** Frames queued for TX and not yet flushed. */
  get queued(): number {
    return this.tx.count;
  }

  /**
   * Queues a frame for the next deliver(). With vnet (10 bytes), the header is placed in front of
   * the frame and RXF_VNET_HDR is added to flags.
   */
  inject(port: number, frame: Uint8Array, flags = 0, vnet?: Uint8Array): void {
    if (port < 0 || port >= this.ports.length) throw new RangeError(`no port ${port}`);
    const off = this.poolUsed + RX_HEADROOM + VNET_HDR_LEN;
    const end = (off + frame.length + 15) & ~15;
    if (end > this.pool.length) throw new RangeError('MemoryIo pool is full: deliver() first or raise poolBytes');
    this.pool.fill(0, this.poolUsed, off);
    if (vnet !== undefined) {
      if (vnet.length !== VNET_HDR_LEN) throw new RangeError('a virtio_net_hdr is 10 bytes');
      this.pool.set(vnet, off - VNET_HDR_LEN);
      flags |= RXF_VNET_HDR;
    }
    this.pool.set(frame, off);
    this.poolUsed = end;
    this.pendOff.push(off);
    this.pendLen.push(frame.length);
    this.pendFlags.push(flags);
    this.pendPort.push(port);
  }

  /** Delivers every pending frame in batches of batchSize; returns the number of batches. */
  deliver(): number {
    if (this.onBatch === null) throw new Error('MemoryIo: start() first');
    const b = this.batch;
    const cap = b.off.length;
    let n = 0;
    for (let i = 0; i < this.pendOff.length; i += cap) {
      const k = Math.min(cap, this.pendOff.length - i);
      for (let j = 0; j < k; j++) {
        b.off[j] = this.pendOff[i + j]!;
        b.len[j] = this.pendLen[i + j]!;
        b.flags[j] = this.pendFlags[i + j]!;
        b.port[j] = this.pendPort[i + j]!;
      }
      b.count = k;
      this.batches++;
      n++;
      try {
        this.onBatch(b);
      } finally {
        this.flush();
      }
    }
    this.pendOff.length = this.pendLen.length = this.pendFlags.length = this.pendPort.length = 0;
    this.poolUsed = 0;
    return n;
  }

  queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    return !this.closed && this.tx.push(port, buf, off, len, flags);
  }

  flush(): void {
    const q = this.tx;
    if (q.count === 0) return;
    for (let i = 0; i < q.count; i++) {
      const buf = q.buf[i]!;
      const off = q.off[i]!;
      const flags = q.flags[i]!;
      this.sent.push({
        port: q.port[i]!,
        frame: Buffer.from(buf.subarray(off, off + q.len[i]!)),
        flags,
        vnet: (flags & RXF_VNET_HDR) !== 0 ? Buffer.from(buf.subarray(off - VNET_HDR_LEN, off)) : null,
      });
    }
    q.clear();
    this.flushes++;
  }

  /** Frames sent on one port, in order. */
  sentOn(port: number): SentFrame[] {
    return this.sent.filter((f) => f.port === port);
  }

  close(): void {
    this.closed = true;
    this.tx.clear();
  }
}
