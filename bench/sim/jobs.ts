// Requests in flight in the simulator: a growable struct-of-arrays table with a free list, so a
// run of millions of requests allocates no object per request. No kernel counterpart.

export class Jobs {
  arrivalMs: Float64Array;
  demandMs: Float64Array;
  /** Virtual time at which the job is done (see ServerFarm). */
  finishV: Float64Array;
  server: Int32Array;
  /** IPVS connection id and the tuple that identifies it (ids are reused after expiry). */
  connId: Int32Array;
  caddr: Uint32Array;
  cport: Uint16Array;
  client: Int32Array;
  /** Counted in the latency figures (arrived after the warm-up). */
  measured: Uint8Array;
  private freeNext: Int32Array;
  private freeHead = -1;
  private used = 0;
  live = 0;

  constructor(capacity = 1024) {
    this.arrivalMs = new Float64Array(capacity);
    this.demandMs = new Float64Array(capacity);
    this.finishV = new Float64Array(capacity);
    this.server = new Int32Array(capacity);
    this.connId = new Int32Array(capacity);
    this.caddr = new Uint32Array(capacity);
    this.cport = new Uint16Array(capacity);
    this.client = new Int32Array(capacity);
    this.measured = new Uint8Array(capacity);
    this.freeNext = new Int32Array(capacity);
  }

  alloc(): number {
    let id = this.freeHead;
    if (id >= 0) {
      this.freeHead = this.freeNext[id]!;
    } else {
      if (this.used === this.arrivalMs.length) this.grow();
      id = this.used++;
    }
    this.live++;
    return id;
  }

  /** A new request in flight; returns its id. */
  add(
    arrivalMs: number,
    demandMs: number,
    server: number,
    connId: number,
    caddr: number,
    cport: number,
    client: number,
    measured: boolean,
  ): number {
    const id = this.alloc();
    this.arrivalMs[id] = arrivalMs;
    this.demandMs[id] = demandMs;
    this.server[id] = server;
    this.connId[id] = connId;
    this.caddr[id] = caddr;
    this.cport[id] = cport;
    this.client[id] = client;
    this.measured[id] = measured ? 1 : 0;
    return id;
  }

  free(id: number): void {
    this.freeNext[id] = this.freeHead;
    this.freeHead = id;
    this.live--;
  }

  private grow(): void {
    const n = this.arrivalMs.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.arrivalMs = f64(this.arrivalMs);
    this.demandMs = f64(this.demandMs);
    this.finishV = f64(this.finishV);
    this.server = i32(this.server);
    this.connId = i32(this.connId);
    this.client = i32(this.client);
    this.freeNext = i32(this.freeNext);
    const ca = new Uint32Array(n);
    ca.set(this.caddr);
    this.caddr = ca;
    const cp = new Uint16Array(n);
    cp.set(this.cport);
    this.cport = cp;
    const m = new Uint8Array(n);
    m.set(this.measured);
    this.measured = m;
  }
}
