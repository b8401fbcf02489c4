// Hashed timing wheel over conn ids: one timer per connection (cp->timer in ip_vs_conn.c) without
// a JS timer per connection. mod_timer() becomes arm(); the timer softirq becomes advance(), which
// the engine calls periodically and which does bounded work per call.
//
//   tick = floor(ms / tickMs)          slot = tick & (slots - 1)
//
//   slotHead[slot] -> id <-> id <-> id     doubly linked through prev[]/next[] (O(1) unlink)
//
// A timer sits in the slot of its due tick (dueMs = the start of that tick). Re-arming later,
// which every packet does, only stores the new expiry: the entry moves when its slot comes round
// and it is found not yet due (lazy re-arm, one compare and one store per packet). Re-arming
// earlier (a state whose timeout is shorter) moves it at once. A slot is processed when its tick
// has fully passed, so a timer fires between 0 and tickMs late, never early.

/** Receives each timer that fired; the wheel has already disarmed it, so onTimer may re-arm. */
export interface TimerSink {
  onTimer(id: number): void;
}

export class TimerWheel {
  readonly tickMs: number;
  /** cp->timer.expires, in ms; meaningful while armed. */
  readonly expiresMs: Float64Array;
  /** Start of the tick whose slot holds the id; -1 when not armed. */
  private readonly dueMs: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly slotHead: Int32Array;
  private readonly slotMask: number;
  /** First tick not fully processed. */
  private curTick: number;
  /** Next id to visit in slot curTick when a call ran out of budget; -1 = slot not started. */
  private cursor: number;
  private inProgress: boolean;
  armedCount: number;

  /** expiresMs: the array to keep expiries in (ConnTable's column, so they outlive the process). */
  constructor(capacity: number, tickMs = 1000, slotBits = 10, startMs = 0, expiresMs?: Float64Array) {
    if (!(tickMs > 0)) throw new RangeError(`bad tick ${tickMs}`);
    this.tickMs = tickMs;
    this.expiresMs = expiresMs ?? new Float64Array(capacity);
    this.dueMs = new Float64Array(capacity).fill(-1);
    this.prev = new Int32Array(capacity).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
    this.slotHead = new Int32Array(1 << slotBits).fill(-1);
    this.slotMask = (1 << slotBits) - 1;
    this.curTick = Math.floor(startMs / tickMs);
    this.cursor = -1;
    this.inProgress = false;
    this.armedCount = 0;
  }

  isArmed(id: number): boolean {
    return this.dueMs[id]! >= 0;
  }

  /** mod_timer(&cp->timer, expiresMs). Hot path: usually one compare and one store. */
  arm(id: number, expiresMs: number): void {
    this.expiresMs[id] = expiresMs;
    const due = this.dueMs[id]!;
    if (due >= 0) {
      if (expiresMs >= due) return; // due no earlier than its slot: it moves when the slot comes round
      this.unlink(id);
    }
    this.link(id, expiresMs);
  }

  /** del_timer. */
  disarm(id: number): void {
    if (this.dueMs[id]! >= 0) this.unlink(id);
  }

  /**
   * Run the timers due by nowMs, visiting at most `budget` entries (an empty slot costs 1).
   * Returns how many fired. Call again to continue when it returned early.
   */
  advance(nowMs: number, budget: number, sink: TimerSink): number {
    const nowTick = Math.floor(nowMs / this.tickMs);
    const slots = this.slotMask + 1;
    if (!this.inProgress && nowTick - this.curTick >= 2 * slots) {
      // Far behind (idle engine, suspended host): skip whole revolutions. A slot maps to the same
      // ticks modulo the wheel size, and one full revolution still visits every slot, so every
      // timer due by now still fires in this catch-up.
      const revs = Math.floor((nowTick - this.curTick) / slots) - 1;
      this.curTick += revs * slots;
    }
    let work = 0;
    let fired = 0;
    while (this.curTick < nowTick && work < budget) {
      const slot = this.curTick & this.slotMask;
      let id = this.inProgress ? this.cursor : this.slotHead[slot]!;
      this.inProgress = true;
      work++;
      while (id >= 0 && work < budget) {
        const nx = this.next[id]!;
        this.cursor = nx;
        work++;
        if (this.expiresMs[id]! <= nowMs) {
          this.unlink(id);
          fired++;
          sink.onTimer(id); // may arm/disarm any id; unlink() keeps the cursor valid
        } else if (Math.floor(this.expiresMs[id]! / this.tickMs) !== this.curTick) {
          this.unlink(id);
          this.link(id, this.expiresMs[id]!);
        }
        id = this.cursor;
      }
      if (id >= 0) break; // out of budget in the middle of this slot
      this.inProgress = false;
      this.cursor = -1;
      this.curTick++;
    }
    return fired;
  }

  private link(id: number, expiresMs: number): void {
    let tick = Math.floor(expiresMs / this.tickMs);
    const cur = this.curTick;
    // Never behind the wheel; never into the slot being walked (it would wait a revolution).
    if (tick < cur) tick = cur;
    if (this.inProgress && tick === cur) tick = cur + 1;
    const slot = tick & this.slotMask;
    const head = this.slotHead[slot]!;
    this.prev[id] = -1;
    this.next[id] = head;
    if (head >= 0) this.prev[head] = id;
    this.slotHead[slot] = id;
    this.dueMs[id] = tick * this.tickMs;
    this.armedCount++;
  }

  private unlink(id: number): void {
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (id === this.cursor) this.cursor = n;
    if (p >= 0) this.next[p] = n;
    else this.slotHead[Math.floor(this.dueMs[id]! / this.tickMs) & this.slotMask] = n;
    if (n >= 0) this.prev[n] = p;
    this.prev[id] = -1;
    this.next[id] = -1;
    this.dueMs[id] = -1;
    this.armedCount--;
  }
}
