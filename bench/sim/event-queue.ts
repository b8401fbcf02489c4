// Future event list of the discrete-event simulator (no kernel counterpart): a binary min-heap
// over typed arrays keyed by (time, insertion order), so simultaneous events run in the order
// they were scheduled and a run is reproducible. Each event carries a kind and two integers.
//
//   slot:   0      1      2     ...        heap order on timeMs, ties on seq
//   timeMs [t0 ] [t1 ] [t2 ]              kind/a/b travel with their time
//   seq    [s0 ] [s1 ] [s2 ]

export class EventQueue {
  private timeMs: Float64Array;
  private seq: Float64Array;
  private kind: Uint8Array;
  private a: Int32Array;
  private b: Int32Array;
  private nextSeq = 0;
  size = 0;
  /** Fields of the event last returned by pop(). */
  popTimeMs = 0;
  popKind = 0;
  popA = 0;
  popB = 0;

  constructor(initialCapacity = 1024) {
    this.timeMs = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.kind = new Uint8Array(initialCapacity);
    this.a = new Int32Array(initialCapacity);
    this.b = new Int32Array(initialCapacity);
  }

  push(timeMs: number, kind: number, a: number, b: number): void {
    if (this.size === this.timeMs.length) this.grow();
    let i = this.size++;
    const s = this.nextSeq++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.before(p, timeMs, s)) break;
      this.move(p, i);
      i = p;
    }
    this.timeMs[i] = timeMs;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.a[i] = a;
    this.b[i] = b;
  }

  /** Time of the next event, Infinity when empty. */
  peekTimeMs(): number {
    return this.size > 0 ? this.timeMs[0]! : Infinity;
  }

  /** Remove the earliest event into popTimeMs/popKind/popA/popB; false when empty. */
  pop(): boolean {
    if (this.size === 0) return false;
    this.popTimeMs = this.timeMs[0]!;
    this.popKind = this.kind[0]!;
    this.popA = this.a[0]!;
    this.popB = this.b[0]!;
    const last = --this.size;
    if (last === 0) return true;
    const t = this.timeMs[last]!;
    const s = this.seq[last]!;
    const k = this.kind[last]!;
    const a = this.a[last]!;
    const b = this.b[last]!;
    let i = 0;
    // sift down
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && this.less(c + 1, c)) c++;
      if (!this.before(c, t, s)) break;
      this.move(c, i);
      i = c;
    }
    this.timeMs[i] = t;
    this.seq[i] = s;
    this.kind[i] = k;
    this.a[i] = a;
    this.b[i] = b;
    return true;
  }

  /** Is slot i strictly before (timeMs, seq)? */
  private before(i: number, timeMs: number, seq: number): boolean {
    const ti = this.timeMs[i]!;
    return ti < timeMs || (ti === timeMs && this.seq[i]! < seq);
  }

  private less(i: number, j: number): boolean {
    return this.before(i, this.timeMs[j]!, this.seq[j]!);
  }

  private move(from: number, to: number): void {
    this.timeMs[to] = this.timeMs[from]!;
    this.seq[to] = this.seq[from]!;
    this.kind[to] = this.kind[from]!;
    this.a[to] = this.a[from]!;
    this.b[to] = this.b[from]!;
  }

  private grow(): void {
    const n = this.timeMs.length * 2;
    const t = new Float64Array(n);
    t.set(this.timeMs);
    this.timeMs = t;
    const s = new Float64Array(n);
    s.set(this.seq);
    this.seq = s;
    const k = new Uint8Array(n);
    k.set(this.kind);
    this.kind = k;
    const a = new Int32Array(n);
    a.set(this.a);
    this.a = a;
    const b = new Int32Array(n);
    b.set(this.b);
    this.b = b;
  }
}
