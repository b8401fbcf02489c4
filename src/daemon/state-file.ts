// The connection state file: where the connection table's columns live, so that connections
// outlive tsvsd (SIGKILL, SIGTERM + start, an upgrade). The file is mapped shared through the
// native addon (native/state-map.c): every store of the data path is in the page cache at once,
// with nothing to flush. Its header (src/conn/conn-layout.ts) says which layout it holds; a
// process attaches only to its own layout and capacity, and otherwise logs why and starts empty.

import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CONN_SPEC, connLayout, encodeHeader, headerMismatch, type LayoutSpec } from '../conn/conn-layout.ts';
import type { Logger } from '../lib/logger.ts';
import { nativeLoadError, tryLoadNative, type NativeBinding } from '../io/native-binding.ts';

export interface ConnStateFile {
  readonly path: string;
  /** The mapped file, laid out by connLayout(capacity, spec.columns). */
  readonly memory: ArrayBuffer;
  /** True when the file holds a previous process's table to restore; false: it is empty. */
  readonly attach: boolean;
  /** Why it is empty when it is (for the log and tsvsadm --engine), else ''. */
  readonly fresh: string;
}

/** `[engine] state-file` by default: beside the control socket, /run/tsvs/tsvsd.conn-state. */
export function defaultStateFile(socketPath: string): string {
  return join(dirname(socketPath), `${basename(socketPath).replace(/\.sock$/, '')}.conn-state`);
}

/**
 * The IPv6 table's state file beside the IPv4 one (conn-layout6.ts says why apart):
 * `<state-file>6`, /run/tsvs/tsvsd.conn-state6; its shards `<state-file>6.w<i>-of-<N>`.
 */
export function stateFile6(statePath: string): string {
  return `${statePath}6`;
}

function isLocked(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EWOULDBLOCK' || code === 'EAGAIN';
}

/** Sleeps the thread: a taking-over tsvsd has nothing to run until it holds the state file. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Open and map the state file for a table of `capacity` entries. Null (logged) when it cannot be
 * used: no native addon, a file held by another process (for up to `lockWaitMs`: a predecessor
 * that handed over releases it as it exits), a path that cannot be created. A missing,
 * truncated, corrupt or foreign file becomes an empty table, logged with the reason. `spec`: the
 * IPv4 table's layout, or the IPv6 table's (CONN6_SPEC).
 */
export function openConnState(
  path: string,
  capacity: number,
  log: Logger,
  lockWaitMs = 0,
  native: NativeBinding | null = tryLoadNative(),
  spec: LayoutSpec = CONN_SPEC,
): ConnStateFile | null {
  if (native === null || typeof native.mapState !== 'function') {
    log.warn('connections will not outlive tsvsd: the state file needs the native addon', {
      stateFile: path,
      reason: native === null ? nativeLoadError() : 'the addon has no mapState (rebuild it)',
    });
    return null;
  }
  const layout = connLayout(capacity, spec.columns);
  let mapped: { buffer: ArrayBuffer; previousBytes: number };
  const deadline = performance.now() + lockWaitMs;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    for (;;) {
      try {
        mapped = native.mapState(path, layout.totalBytes);
        break;
      } catch (e) {
        if (!isLocked(e) || performance.now() >= deadline) throw e;
        sleepMs(2);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = isLocked(e) ? 'another process holds it' : err.message;
    log.warn('connections will not outlive tsvsd: cannot use the state file', { stateFile: path, error: why });
    return null;
  }
  const { buffer, previousBytes } = mapped;
  const head = new Uint8Array(buffer, 0, layout.headerBytes);
  const fresh =
    previousBytes === 0
      ? 'it is new'
      : previousBytes !== layout.totalBytes
        ? `it had ${previousBytes} bytes, this layout and capacity need ${layout.totalBytes}`
        : (headerMismatch(head, layout, spec) ?? '');
  if (fresh !== '') {
    new Uint8Array(buffer).fill(0);
    head.set(encodeHeader(layout, spec));
    const level = previousBytes === 0 || fresh === 'it is new (all zero)' ? 'info' : 'warn';
    log[level]('connection state file: starting with an empty connection table', {
      stateFile: path,
      reason: fresh,
    });
  }
  return { path, memory: buffer, attach: fresh === '', fresh };
}
