// AfPacketIo: the fast PacketIo backend, AF_PACKET sockets with mmap'ed RX rings and batched
// sendmmsg through the native addon (native/ring.c; the user side of net/packet/af_packet.c).
//
// Zero copy: the RxBatch frames live in the mmap'ed ring, seen by JS through one Buffer (the
// region), and a frame queued for TX from that Buffer goes out by an iovec into the ring. A frame
// queued from other memory is copied once into the region's staging area. Per batch there is one
// call from C into JS; the frames JS queued are sent (one sendmmsg per port) and the RX slots are
// given back to the kernel when that call returns.

import { TsvsError } from '../lib/errors.ts';
import { NATIVE_STAT_COLUMNS, type NativeBinding, type NativeHandle, type NativePortStats } from './native-binding.ts';
import { openPorts, type AfPacketOptions } from './af-packet-open.ts';
import { RxBatch, type PacketIo, type PortInfo } from '../datapath/packet-io.ts';
import { RXF_VNET_HDR, VNET_HDR_LEN } from '../packet/rx-flags.ts';
import { TxQueue } from './tx-queue.ts';

/** PACKET_FANOUT group ids per port: the RX ring's, and the jumbo ring's (0: none yet, or no ring). */
export interface FanoutGroups {
  readonly rx: readonly number[];
  readonly jumbo: readonly number[];
}

export interface AfPacketLoopStats {
  /** Wakeups by socket readiness (interrupt mode) and by the poll timer (polling mode). */
  readonly wakeups: number;
  readonly ticks: number;
  /** Switches between the two modes. */
  readonly switches: number;
  readonly batches: number;
  readonly polling: boolean;
  /** Busy-poll sessions (spinUs), and the frames they found without a wakeup. */
  readonly spins: number;
  readonly spinFrames: number;
}

/** One port's counters (the native stats columns, native/stats-columns.h) with its interface name. */
export interface AfPacketPortStats extends NativePortStats {
  readonly name: string;
}

export class AfPacketIo implements PacketIo {
  readonly name: string;
  /** A port's entry is replaced when it is re-attached. */
  private readonly portList: PortInfo[];
  private readonly nat: NativeBinding;
  private readonly handle: NativeHandle;
  private readonly region: Buffer;
  private readonly batch: RxBatch;
  /** Its typed arrays are shared with C, which sends entries 0 .. count - 1. */
  private readonly tx: TxQueue;
  private readonly stageOff: number;
  private readonly stageLen: number;
  private stageUsed: number;
  private readonly maxBatches: number;
  private onBatch: ((batch: RxBatch) => void) | null;
  private closed: boolean;
  private readonly rx: (n: number) => number;

  /** Opens one AF_PACKET socket per interface (in the caller's network namespace). */
  static open(ifnames: readonly string[], opts: AfPacketOptions = {}): AfPacketIo {
    return new AfPacketIo(ifnames, opts);
  }

  private constructor(ifnames: readonly string[], opts: AfPacketOptions) {
    const { nat, opened, version } = openPorts(ifnames, opts);
    this.name = version === 3 ? 'af_packet_v3' : 'af_packet';
    this.nat = nat;
    this.handle = opened.handle;
    this.region = opened.buffer;
    this.portList = opened.ports.map((p, i) => ({
      name: ifnames[i] ?? '',
      ifindex: p.ifindex,
      mac: p.mac,
      mtu: p.mtu,
    }));
    this.batch = new RxBatch(opts.batchSize ?? 256, this.region);
    this.tx = new TxQueue(opened.txCapacity, this.ports.length, false);
    this.stageOff = opened.stageOff;
    this.stageLen = opened.stageLen;
    this.stageUsed = 0;
    this.maxBatches = opts.maxBatchesPerWake ?? 8;
    this.onBatch = null;
    this.closed = false;
    const b = this.batch;
    const q = this.tx;
    nat.setArrays(this.handle, b.off, b.len, b.flags, b.port, q.off, q.len, q.flags, q.port);
    this.rx = (n: number): number => this.deliver(n);
  }

  get ports(): readonly PortInfo[] {
    return this.portList;
  }

  start(onBatch: (batch: RxBatch) => void): void {
    if (this.closed) throw new TsvsError('PACKET_IO_CLOSED', 'AF_PACKET I/O is closed');
    this.onBatch = onBatch;
    this.nat.start(this.handle, this.rx, this.maxBatches);
  }

  /** Called from C once per batch; returns how many TX entries C must send now. */
  private deliver(n: number): number {
    const b = this.batch;
    b.count = n;
    let queued: number;
    try {
      (this.onBatch as (batch: RxBatch) => void)(b);
    } finally {
      queued = this.tx.count;
      this.tx.clear();
      this.stageUsed = 0;
    }
    return queued;
  }

  queueTx(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    if (len <= 0 || this.closed) return false;
    if (buf !== this.region) {
      if (!this.tx.admits(port)) return false; // full or no such port: refuse before copying
      const hdr = (flags & RXF_VNET_HDR) !== 0 ? VNET_HDR_LEN : 0;
      if (off - hdr < 0 || off + len > buf.length) return false;
      const need = (len + hdr + 15) & ~15;
      if (this.stageUsed + need > this.stageLen) {
        if (need > this.stageLen) return false;
        this.flush();
      }
      const dst = this.stageOff + this.stageUsed;
      this.nat.copyIn(this.handle, buf, off - hdr, dst, len + hdr);
      this.stageUsed += need;
      off = dst + hdr;
    }
    return this.tx.push(port, this.region, off, len, flags);
  }

  /** Sends the queued frames now (one sendmmsg per port). RX frames stay valid until the batch ends. */
  flush(): void {
    if (this.tx.count > 0 && !this.closed) this.nat.send(this.handle, this.tx.count);
    this.tx.clear();
    this.stageUsed = 0;
  }

  stats(): AfPacketPortStats[] {
    const s = this.nat.stats(this.handle);
    const w = NATIVE_STAT_COLUMNS.length;
    return this.portList.map((p, i) => {
      const row: Record<string, number | string> = { name: p.name };
      NATIVE_STAT_COLUMNS.forEach((c, k) => (row[c] = s[i * w + k] ?? 0));
      return row as unknown as AfPacketPortStats;
    });
  }

  loopStats(): AfPacketLoopStats {
    const s = this.nat.loopStats(this.handle);
    return {
      wakeups: s[0] ?? 0,
      ticks: s[1] ?? 0,
      switches: s[2] ?? 0,
      batches: s[3] ?? 0,
      polling: s[4] === 1,
      spins: s[5] ?? 0,
      spinFrames: s[6] ?? 0,
    };
  }

  linkIfindex(port: number): number {
    const p = this.portList[port];
    if (p === undefined) return 0;
    try {
      return this.nat.ifInfo(p.name).ifindex;
    } catch {
      return 0; // ENODEV: no interface of that name in this namespace
    }
  }

  reattach(port: number): PortInfo {
    const p = this.portList[port];
    if (p === undefined || this.closed) throw new TsvsError('PACKET_IO_CLOSED', `AF_PACKET I/O has no port ${port}`);
    let r;
    try {
      r = this.nat.reattach(this.handle, port);
    } catch (e) {
      throw new TsvsError('PACKET_IO_OPEN', `Cannot re-attach to ${p.name}: ${(e as Error).message}`, { cause: e });
    }
    const info = { name: p.name, ifindex: r.ifindex, mac: r.mac, mtu: r.mtu };
    this.portList[port] = info;
    return info;
  }

  /**
   * Joins each port's RX socket to its PACKET_FANOUT group (groups.rx[port]; 0 = a new group), and
   * the socket of its jumbo ring to a second group (groups.jumbo[port]): the demux picks a member
   * socket before that socket's length filter runs, so each ring needs a group of its own
   * (native/fanout.h). Returns the groups' ids (jumbo 0 for a port without a jumbo ring). The kernel
   * numbers members in join order, and the fanout program's result modulo the members picks one
   * (src/io/fanout-program.ts): worker w joins w-th, and the same program over the same member
   * order sends a flow's small frames and its superpackets to the same worker.
   */
  joinFanout(groups: FanoutGroups): FanoutGroups {
    const joined = this.portList.map((_, i) => this.joinFanoutPort(i, groups.rx[i] ?? 0, groups.jumbo[i] ?? 0));
    return { rx: joined.map((j) => j[0]), jumbo: joined.map((j) => j[1]) };
  }

  /** joinFanout for one port (again after a re-attach): its [RX group id, jumbo group id]. */
  joinFanoutPort(port: number, rxId: number, jumboId: number): [number, number] {
    if (this.closed) throw new TsvsError('PACKET_IO_CLOSED', 'AF_PACKET I/O is closed');
    const join = (id: number, jumbo: boolean): number => {
      try {
        return this.nat.fanoutJoin(this.handle, port, id, jumbo);
      } catch (e) {
        const what = jumbo ? 'the jumbo ring fanout group' : 'the fanout group';
        const name = this.portList[port]?.name ?? `port ${port}`;
        throw new TsvsError('PACKET_FANOUT', `Cannot join ${what} of ${name}: ${(e as Error).message}`, { cause: e });
      }
    };
    return [join(rxId, false), join(jumboId, true)];
  }

  /** Installs the groups' demux program through every port (the kernel swaps it atomically). */
  setFanoutProgram(prog: Uint32Array): void {
    if (this.closed) throw new TsvsError('PACKET_IO_CLOSED', 'AF_PACKET I/O is closed');
    this.portList.forEach((p, i) => {
      try {
        this.nat.fanoutProgram(this.handle, i, prog);
      } catch (e) {
        throw new TsvsError('PACKET_FANOUT', `Cannot set the fanout program of ${p.name}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    });
  }

  /** The busy-poll window (AfPacketOptions.spinUs), changed live: the loop reads it per wakeup. */
  setSpinUs(us: number): void {
    if (!this.closed) this.nat.setSpinUs(this.handle, us);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tx.clear();
    this.nat.close(this.handle);
  }
}
