// TxQueue: the frames a PacketIo backend has queued for transmit until its next flush, kept in
// preallocated parallel arrays of fixed capacity (no allocation per frame).

export class TxQueue {
  readonly capacity: number;
  /** Ports are 0 .. ports - 1; a frame for any other port is refused. */
  readonly ports: number;
  /**
   * Whether buf[] records the Buffer of each frame. A backend whose frames all live in the one
   * region it owns (AF_PACKET) needs offsets only, and skips the store (a heap write per frame).
   */
  readonly keepsBuffers: boolean;
  /** Entries in use: 0 .. count - 1. */
  count: number;
  /** The Buffer each frame lives in, with keepsBuffers (null once cleared: no Buffer kept alive). */
  readonly buf: (Buffer | null)[];
  readonly off: Int32Array;
  readonly len: Int32Array;
  readonly flags: Uint8Array;
  readonly port: Uint8Array;

  constructor(capacity: number, ports: number, keepsBuffers: boolean) {
    this.capacity = capacity;
    this.ports = ports;
    this.keepsBuffers = keepsBuffers;
    this.count = 0;
    this.buf = new Array<Buffer | null>(keepsBuffers ? capacity : 0).fill(null);
    this.off = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.port = new Uint8Array(capacity);
  }

  /** Whether push() would take a frame for this port now (room left, port in range). */
  admits(port: number): boolean {
    return this.count < this.capacity && port >= 0 && port < this.ports;
  }

  /** Appends a frame; false (nothing queued) when the queue is full or the port is out of range. */
  push(port: number, buf: Buffer, off: number, len: number, flags: number): boolean {
    const i = this.count;
    if (i >= this.capacity || port < 0 || port >= this.ports) return false;
    if (this.keepsBuffers) this.buf[i] = buf;
    this.off[i] = off;
    this.len[i] = len;
    this.flags[i] = flags;
    this.port[i] = port;
    this.count = i + 1;
    return true;
  }

  /** Empties the queue (and drops its Buffer references). */
  clear(): void {
    if (this.keepsBuffers) {
      const b = this.buf;
      for (let i = 0; i < this.count; i++) b[i] = null;
    }
    this.count = 0;
  }
}
