// PcapIo: the portable PacketIo fallback, libpcap through the optional `cap` package (loaded
// lazily with createRequire: it is CommonJS and may be missing).
//
// Slow by design of cap: one JS callback, one Buffer view and one copy per received frame, one
// pcap_sendpacket() syscall per sent frame (see the packet I/O notes: ~150k pps forwarding). Frames are gathered
// into batches of batchSize (or whatever arrived by the next event-loop turn).
// libpcap has no direction filter in cap, so each handle captures with `not ether src <own MAC>`:
// without it the director would see (and forward again) every frame it sends. pcap carries no
// virtio_net_hdr or checksum state: flags are 0, and frames bigger than the MTU (GSO
// superpackets, when offloads are on) cannot be sent. Use it with offloads off.

import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TsvsError } from '../lib/errors.ts';
import { RX_HEADROOM, RxBatch, type PacketIo, type PortInfo } from '../datapath/packet-io.ts';
import { TxQueue } from './tx-queue.ts';
import { parseMac } from '../packet/ethernet.ts';

interface CapHandle extends EventEmitter {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  send(buffer: Buffer, nbytes?: number): void;
  close(): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

export interface PcapIoOptions {
  /** Frames per batch (default 64). */
  batchSize?: number;
  /** libpcap buffer per interface (default 8 MiB). */
  bufferBytes?: number;
  txCapacity?: number;
}

const HEAD = RX_HEADROOM + 16; // headroom in front of each frame (the pipeline may grow it there)
const SLOT = 65536 + HEAD; // one frame per slot

let capModule: CapModule | null = null;

/** The cap module, or TsvsError CAP_MISSING explaining how to get it. */
export function loadCap(): CapModule {
  if (capModule !== null) return capModule;
  try {
    capModule = createRequire(import.meta.url)('cap') as CapModule;
    return capModule;
  } catch (e) {
    throw new TsvsError(
      'CAP_MISSING',
      'the pcap backend needs the optional `cap` package (a libpcap binding), which is not installed or did not build: ' +
        'install libpcap-dev (apt-get install libpcap-dev) and run `npm rebuild cap` (or `npm install`)',
      { cause: e },
    );
  }
}

function sysfs(name: string, key: string): string {
  return readFileSync(`/sys/class/net/${name}/${key}`, 'utf8').trim();
}

export class PcapIo implements PacketIo {
  readonly name = 'pcap';
  readonly ports: readonly PortInfo[];
  rxFrames = 0;
  rxTruncated = 0;
  txFrames = 0;
  txErrors = 0;
  lastTxError = '';
  private readonly caps: CapHandle[];
  private readonly capBufs: Buffer[];
  private readonly pool: Buffer;
  private readonly views: Buffer[];
  private readonly batch: RxBatch;
  private readonly tx: TxQueue;
  private scheduled = false;
  private onBatch: ((b: RxBatch) => void) | null = null;
  private closed = false;
  private readonly deliverCb = (): void => this.deliver();

  static open(ifnames: readonly string[], opts: PcapIoOptions = {}): PcapIo {
    return new PcapIo(ifnames, opts);
  }

  private constructor(ifnames: readonly string[], opts: PcapIoOptions) {
    const cap = loadCap();
    this.ports = ifnames.map((name) => {
      try {
        const mac = parseMac(sysfs(name, 'address'));
        return { name, ifindex: Number(sysfs(name, 'ifindex')), mac, mtu: Number(sysfs(name, 'mtu')) };
      } catch (e) {
        throw new TsvsError('NO_SUCH_INTERFACE', `Interface ${name} does not exist (in this network namespace)`, {
          cause: e,
        });
      }
    });
    const size = opts.batchSize ?? 64;
    this.pool = Buffer.alloc(size * SLOT);
    this.views = [];
    for (let i = 0; i < size; i++) this.views.push(this.pool.subarray(i * SLOT + HEAD, (i + 1) * SLOT));
    this.batch = new RxBatch(size, this.pool);
    this.tx = new TxQueue(opts.txCapacity ?? 1024, this.ports.length, true);
    this.caps = [];
    this.capBufs = [];
    for (const p of this.ports) {
      const c = new cap.Cap();
      const buf = Buffer.alloc(SLOT - HEAD);
      const macText = [...p.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
      let link: string;
      try {
        link = c.open(p.name, `not ether src ${macText}`, opts.bufferBytes ?? 8 << 20, buf);
      } catch (e) {
        for (const o of this.caps) o.close();
        const msg = e instanceof Error ? e.message : String(e);
        if (/permission|not permitted/i.test(msg)) {
          throw new TsvsError(
            'NEED_CAP_NET_RAW',
            `Cannot capture on ${p.name}: ${msg}; libpcap needs CAP_NET_RAW (and CAP_NET_ADMIN): run as root, or ` +
              '`setcap cap_net_raw,cap_net_admin+ep $(which node)`, or AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in the systemd unit',
            { cause: e },
          );
        }
        throw new TsvsError('PACKET_IO_OPEN', `Cannot capture on ${p.name}: ${msg}`, { cause: e });
      }
      if (link !== 'ETHERNET') {
        c.close();
        throw new TsvsError('PACKET_IO_OPEN', `Interface ${p.name} has link type ${link}, not Ethernet`);
      }
      this.caps.push(c);
      this.capBufs.push(buf);
    }
  }

  start(onBatch: (batch: RxBatch) => void): void {
    this.onBatch = onBatch;
    this.caps.forEach((c, i) =>
      c.on('packet', (nbytes: number, truncated: boolean) => this.onPacket(i, nbytes, truncated)),
    );
  }

  private onPacket(port: number, nbytes: number, truncated: boolean): void {
    if (this.closed) return;
    if (truncated) {
      this.rxTruncated++;
      return;
    }
    const b = this.batch;
    const n = b.count;
    this.views[n]!.set(this.capBufs[port]!.subarray(0, nbytes));
    b.off[n] = n * SLOT + HEAD;
    b.len[n] = nbytes;
    b.flags[n] = 0;
    b.port[n] = port;
    b.count = n + 1;
    this.rxFrames++;
    if (b.count === b.off.length) this.deliver();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.deliverCb);
    }
  }

  private deliver(): void {
    this.scheduled = false;
    const b = this.batch;
    if (b.count === 0 || this.onBatch === null || this.closed) return;
    try {
      this.onBatch(b);
    } finally {
      b.count = 0;
      this.flush();
    }
  }

  /** flags are ignored: pcap sends the Ethernet frame only, never a virtio_net_hdr. */
  queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    return !this.closed && this.tx.push(port, buf, off, len, flags);
  }

  /** One pcap_sendpacket() per frame (cap has no batch send). */
  flush(): void {
    const q = this.tx;
    for (let i = 0; i < q.count; i++) {
      const buf = q.buf[i]!;
      const off = q.off[i]!;
      const len = q.len[i]!;
      const rel = off - HEAD;
      // A frame still in its RX slot goes out through the slot's view; other memory needs one.
      const src =
        buf === this.pool && rel % SLOT === 0
          ? this.views[rel / SLOT]!
          : off === 0
            ? buf
            : buf.subarray(off, off + len);
      try {
        this.caps[q.port[i]!]!.send(src, len);
        this.txFrames++;
      } catch (e) {
        this.txErrors++;
        this.lastTxError = e instanceof Error ? e.message : String(e);
      }
    }
    q.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.caps) c.close();
  }
}
