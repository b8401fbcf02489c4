// Full NAT local ports: per local address, a fixed-size FIFO ring of free ports (no kernel IPVS
// counterpart; DPVS and Alibaba's FULLNAT keep the same per-laddr pools). A freed port goes to the
// tail, so the port reused next is the one idle longest (kindest to TIME_WAIT on the real server).
//
//   ring: [ p p p p . . . . p p ]      head -> next port handed out
//               ^tail       ^head      tail -> where a released port goes
//
// Ports are unique per local address across all real servers and protocols, so the OUT key
// <proto, daddr, dport, laddr, lport> of a full NAT connection is always unique.
//
// With several workers each holds a slice of the range: worker `slot` of `slots` hands out only
// ports p with p % slots == slot, DPVS's per-lcore split of its sa_pool. The fanout program sends a
// frame to a local address to member dport % members (src/io/fanout-program.ts), so the reply of
// a full NAT connection reaches the worker whose pool gave its port.

import { TsvsError } from '../lib/errors.ts';

export const DEFAULT_LPORT_MIN = 1024;
export const DEFAULT_LPORT_MAX = 65535;

export class PortPool {
  readonly addr: number;
  readonly min: number;
  readonly max: number;
  readonly size: number;
  /** This pool's slice: the ports p in [min, max] with p % slots == slot. */
  readonly slot: number;
  readonly slots: number;
  /** The slice's lowest port. */
  private readonly first: number;
  private readonly ring: Uint16Array;
  /** 1 while the port is handed out (guards against double release). */
  private readonly used: Uint8Array;
  private head: number;
  private tail: number;
  free: number;

  constructor(addr: number, min = DEFAULT_LPORT_MIN, max = DEFAULT_LPORT_MAX, slot = 0, slots = 1) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new TsvsError('BAD_PORT_RANGE', `Invalid local port range ${min}-${max}`);
    }
    if (!Number.isInteger(slots) || !Number.isInteger(slot) || slots < 1 || slot < 0 || slot >= slots) {
      throw new TsvsError('BAD_PORT_RANGE', `Invalid local port slice ${slot} of ${slots}`);
    }
    this.addr = addr >>> 0;
    this.min = min;
    this.max = max;
    this.slot = slot;
    this.slots = slots;
    this.first = min + ((((slot - min) % slots) + slots) % slots);
    this.size = this.first > max ? 0 : Math.floor((max - this.first) / slots) + 1;
    this.ring = new Uint16Array(this.size);
    for (let i = 0; i < this.size; i++) this.ring[i] = this.first + i * slots;
    this.used = new Uint8Array(65536);
    this.head = 0;
    this.tail = 0;
    this.free = this.size;
  }

  /** A free port, or -1 when exhausted. */
  alloc(): number {
    if (this.free === 0) return -1;
    const port = this.ring[this.head]!;
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    this.free--;
    this.used[port] = 1;
    return port;
  }

  /**
   * Mark `port` handed out (an entry restored after a restart holds it); false when it is out of
   * range or taken. Call rebuildRing() after the last take().
   */
  take(port: number): boolean {
    if (port < this.min || port > this.max || port % this.slots !== this.slot || this.used[port] === 1) return false;
    this.used[port] = 1;
    this.free--;
    return true;
  }

  /** The free ring again from used[]: the free ports in ascending order, the lowest next. */
  rebuildRing(): void {
    let n = 0;
    for (let p = this.first; p <= this.max; p += this.slots) if (this.used[p] === 0) this.ring[n++] = p;
    this.head = 0;
    this.tail = n === this.size ? 0 : n;
    this.free = n;
  }

  /** Give a port back; false if it was not handed out by this pool. */
  release(port: number): boolean {
    if (this.used[port] !== 1) return false;
    this.used[port] = 0;
    this.ring[this.tail] = port;
    this.tail = this.tail + 1 === this.size ? 0 : this.tail + 1;
    this.free++;
    return true;
  }
}

/** The local addresses of full NAT, used round robin; each with its own PortPool. */
export class LocalAddrPool {
  readonly pools: readonly PortPool[];
  /** Address of the last successful alloc(). */
  lastAddr: number;
  private cursor: number;

  constructor(addrs: readonly number[], min = DEFAULT_LPORT_MIN, max = DEFAULT_LPORT_MAX, slot = 0, slots = 1) {
    if (addrs.length === 0) throw new TsvsError('NO_LOCAL_ADDRESS', 'Full NAT needs at least one local address');
    this.pools = addrs.map((a) => new PortPool(a, min, max, slot, slots));
    this.lastAddr = 0;
    this.cursor = 0;
  }

  /** A local port (its address in lastAddr), or -1 when every address is exhausted. */
  alloc(): number {
    const n = this.pools.length;
    for (let i = 0; i < n; i++) {
      const p = this.pools[this.cursor]!;
      this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1;
      const port = p.alloc();
      if (port >= 0) {
        this.lastAddr = p.addr;
        return port;
      }
    }
    return -1;
  }

  release(addr: number, port: number): boolean {
    const pools = this.pools;
    for (let i = 0; i < pools.length; i++) {
      const p = pools[i]!;
      if (p.addr === addr) return p.release(port);
    }
    return false;
  }

  /** PortPool.take on the pool of addr; false when no pool has that address. */
  take(addr: number, port: number): boolean {
    for (const p of this.pools) if (p.addr === addr >>> 0) return p.take(port);
    return false;
  }

  rebuildRings(): void {
    for (const p of this.pools) p.rebuildRing();
  }

  available(): number {
    let n = 0;
    for (const p of this.pools) n += p.free;
    return n;
  }
}
