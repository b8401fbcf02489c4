// Timers: the clock and timer seam of the health monitor (keepalived's thread_add_timer in
// lib/scheduler.c), injectable so tests can run the checker loop on a manual clock.

export interface TimerHandle {
  readonly id: number;
}

export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock: performance.now() and node's timers, unref'd by default (health checks never
 * keep the process alive alone); { unref: false } gives timers that do, like a plain setTimeout.
 */
export class RealTimers implements Timers {
  private readonly live = new Map<number, ReturnType<typeof setTimeout>>();
  private nextId = 1;
  private readonly unref: boolean;

  constructor(opts: { readonly unref?: boolean } = {}) {
    this.unref = opts.unref ?? true;
  }

  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(
      () => {
        this.live.delete(id);
        fn();
      },
      Math.max(0, delayMs),
    );
    if (this.unref) t.unref();
    this.live.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.live.get(handle.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.live.delete(handle.id);
    }
  }
}

/** Waits until work settles or timeoutMs passes on timers, whichever comes first. */
export async function untilDeadline(work: Promise<unknown>, timeoutMs: number, timers: Timers): Promise<void> {
  let handle: TimerHandle | undefined;
  const deadline = new Promise<void>((resolve) => {
    handle = timers.setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    if (handle !== undefined) timers.clearTimeout(handle);
  }
}

interface ManualTimer {
  id: number;
  dueMs: number;
  fn: () => void;
}

/** Let pending promise callbacks and I/O callbacks run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A manual clock for deterministic tests: time moves only in advance(); timers fire in due order
 * (ties in creation order) and pending promises settle after each firing.
 */
export class ManualTimers implements Timers {
  private nowMs: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ id, dueMs: this.nowMs + Math.max(0, delayMs), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Number of armed timers. */
  pending(): number {
    return this.timers.length;
  }

  /** Move the clock forward by deltaMs, firing every timer that falls due, in order. */
  async advance(deltaMs: number): Promise<void> {
    const target = this.nowMs + deltaMs;
    await settle();
    for (let guard = 0; guard < 100000; guard++) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (
          t.dueMs <= target &&
          (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.id < next.id))
        )
          next = t;
      }
      if (next === undefined) break;
      const fired = next;
      this.timers = this.timers.filter((t) => t !== fired);
      this.nowMs = fired.dueMs;
      fired.fn();
      await settle();
    }
    this.nowMs = target;
    await settle();
  }
}
