// PcapFileIo: a PacketIo that replays pcap files through the director and records what it sends.
// Each port may have an input capture (frames arrive on that port) and an output capture (frames
// the pipeline sends on that port). Inputs are merged in timestamp order and delivered in batches,
// one batch per event-loop turn. An output frame is stamped with the capture time of the input
// frame it was made from (the batch frame at the same offset; else the batch's last frame), so a
// replay gives the same files every time.

import { TsvsError } from '../lib/errors.ts';
import { parseMac } from '../packet/ethernet.ts';
import { RX_HEADROOM, RxBatch, type PacketIo, type PortInfo } from '../datapath/packet-io.ts';
import { VNET_HDR_LEN } from '../packet/rx-flags.ts';
import { PcapReader, PcapWriter } from '../packet/pcap-file.ts';
import { TxQueue } from './tx-queue.ts';

export interface PcapFilePort {
  name: string;
  mac?: string | Buffer;
  mtu?: number;
  /** Capture whose frames arrive on this port. */
  input?: string;
  /** Capture that receives the frames sent on this port. */
  output?: string;
}

export interface PcapFileIoOptions {
  batchSize?: number;
  /** Output files with nanosecond timestamps (default true). */
  nanosecond?: boolean;
  txCapacity?: number;
}

export class PcapFileIo implements PacketIo {
  readonly name = 'pcap_file';
  readonly ports: readonly PortInfo[];
  /** Resolves when every input frame was delivered and the outputs are flushed. */
  readonly done: Promise<void>;
  private resolveDone: () => void = () => undefined;
  private readonly readers: (PcapReader | null)[];
  private readonly has: boolean[];
  private readonly writers: (PcapWriter | null)[];
  private readonly pool: Buffer;
  private readonly batch: RxBatch;
  private readonly tx: TxQueue;
  /** Capture time of each queued frame, by TxQueue entry. */
  private readonly txSec: Float64Array;
  private readonly txNsec: Float64Array;
  private readonly rxSec: Float64Array;
  private readonly rxNsec: Float64Array;
  /** Input frames too big to deliver. */
  skipped = 0;
  private nowSec = 0;
  private nowNsec = 0;
  private onBatch: ((b: RxBatch) => void) | null = null;
  private closed = false;

  constructor(ports: readonly PcapFilePort[], opts: PcapFileIoOptions = {}) {
    this.ports = ports.map((p, i) => ({
      name: p.name,
      ifindex: i + 1,
      mac:
        p.mac === undefined ? Buffer.from([2, 0, 0, 0, 0, i + 1]) : typeof p.mac === 'string' ? parseMac(p.mac) : p.mac,
      mtu: p.mtu ?? 1500,
    }));
    this.readers = ports.map((p) => (p.input === undefined ? null : PcapReader.fromFile(p.input)));
    for (const [i, r] of this.readers.entries()) {
      if (r !== null && r.linktype !== 1) {
        throw new TsvsError('PCAP_FORMAT', `${ports[i]?.input}: link type ${r.linktype} is not Ethernet (1)`);
      }
    }
    this.has = this.readers.map((r) => r !== null && r.next());
    const ns = opts.nanosecond ?? true;
    this.writers = ports.map((p) => (p.output === undefined ? null : new PcapWriter(p.output, { nanosecond: ns })));
    const size = opts.batchSize ?? 64;
    this.pool = Buffer.alloc(size * (65536 + RX_HEADROOM + 2 * VNET_HDR_LEN + 16));
    this.batch = new RxBatch(size, this.pool);
    const cap = opts.txCapacity ?? 1024;
    this.tx = new TxQueue(cap, this.ports.length, true);
    this.txSec = new Float64Array(cap);
    this.txNsec = new Float64Array(cap);
    this.rxSec = new Float64Array(size);
    this.rxNsec = new Float64Array(size);
    this.done = new Promise((res) => (this.resolveDone = res));
  }

  start(onBatch: (batch: RxBatch) => void): void {
    this.onBatch = onBatch;
    setImmediate(() => this.step());
  }

  /** The input port with the earliest pending frame, or -1. */
  private earliest(): number {
    let best = -1;
    for (let i = 0; i < this.readers.length; i++) {
      const r = this.readers[i];
      if (!this.has[i] || r == null) continue;
      const b = best < 0 ? null : this.readers[best]!;
      if (b === null || r.tsSec < b.tsSec || (r.tsSec === b.tsSec && r.tsNsec < b.tsNsec)) best = i;
    }
    return best;
  }

  private step(): void {
    if (this.closed || this.onBatch === null) return;
    const b = this.batch;
    let n = 0;
    let used = 0;
    for (let p = this.earliest(); p >= 0 && n < b.off.length; p = this.earliest()) {
      const r = this.readers[p]!;
      const off = used + RX_HEADROOM + VNET_HDR_LEN;
      if (off + r.caplen > this.pool.length) {
        if (n > 0) break; // deliver what we have; this frame starts the next batch
        this.skipped++; // bigger than the whole pool
        this.has[p] = r.next();
        continue;
      }
      this.pool.set(r.data.subarray(r.off, r.off + r.caplen), off);
      b.off[n] = off;
      b.len[n] = r.caplen;
      b.flags[n] = 0;
      b.port[n] = p;
      this.rxSec[n] = r.tsSec;
      this.rxNsec[n] = r.tsNsec;
      used = (off + r.caplen + 15) & ~15;
      this.nowSec = r.tsSec;
      this.nowNsec = r.tsNsec;
      n++;
      this.has[p] = r.next();
    }
    if (n > 0) {
      b.count = n;
      try {
        this.onBatch(b);
      } finally {
        this.flush();
        b.count = 0;
      }
    }
    if (this.earliest() >= 0) setImmediate(() => this.step());
    else this.finish();
  }

  private finish(): void {
    this.flush();
    for (const w of this.writers) w?.flush();
    this.resolveDone();
  }

  /** flags are ignored: a pcap file keeps the Ethernet frame only, not its virtio_net_hdr. */
  queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    const i = this.tx.count;
    if (this.closed || !this.tx.push(port, buf, off, len, flags)) return false;
    let k = this.batch.count - 1;
    if (buf === this.pool) {
      for (let j = 0; j < this.batch.count; j++) if (this.batch.off[j] === off) k = j;
    }
    this.txSec[i] = k >= 0 ? this.rxSec[k]! : this.nowSec;
    this.txNsec[i] = k >= 0 ? this.rxNsec[k]! : this.nowNsec;
    return true;
  }

  flush(): void {
    const q = this.tx;
    for (let i = 0; i < q.count; i++) {
      const w = this.writers[q.port[i]!];
      if (w != null) w.write(q.buf[i]!, q.off[i]!, q.len[i]!, this.txSec[i]!, this.txNsec[i]!);
    }
    q.clear();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const w of this.writers) w?.close();
    this.resolveDone();
  }
}
