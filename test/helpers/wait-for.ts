// waitFor: readiness polling for tests. Instead of sleeping a fixed time and hoping a server,
// daemon or file is ready, poll the condition itself (a socket accepts, a port listens, a file
// is written, a process is gone) until it holds, and fail with what was awaited when a deadline
// passes.

export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Pause between polls (default 50 ms). */
  readonly intervalMs?: number;
}

/**
 * Resolves with the first truthy value of cond(). A throw from cond counts as "not yet"; after
 * timeoutMs it rejects with "timed out after N ms waiting for <what>" and the last error thrown.
 */
export async function waitFor<T>(what: string, cond: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (performance.now() >= deadline) {
      const last =
        lastError === undefined
          ? ''
          : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
