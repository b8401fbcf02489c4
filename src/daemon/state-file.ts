// The connection state file: where the connection table's columns live, so that connections
// outlive tsvsd (SIGKILL, SIGTERM + start, an upgrade). The file is mapped shared through the
// native addon (native/state-map.c): every store of the data path is in the page cache at once,
// with nothing to flush. Its header (src/conn/conn-layout.ts) says which layout it holds; a
// process attaches only to its own layout and capacity, and otherwise logs why and starts empty.

import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { connLayout, encodeHeader, headerMismatch } from '../conn/conn-layout.ts';
import type { Logger } from '../lib/logger.ts';
import { nativeLoadError, tryLoadNative, type NativeBinding } from '../io/native-binding.ts';

export interface ConnStateFile {
  readonly path: string;
  /** The mapped file, laid out by connLayout(capacity). */
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
 * Open and map the state file for a table of `capacity` entries. Null (logged) when it cannot be
 * used: no native addon, a file held by another process, a path that cannot be created. A
 * missing, truncated, corrupt or foreign file becomes an empty table, logged with the reason.
 */
export function openConnState(
  path: string,
  capacity: number,
  log: Logger,
  native: NativeBinding | null = tryLoadNative(),
): ConnStateFile | null {
  if (native === null || typeof native.mapState !== 'function') {
    log.warn('connections will not outlive tsvsd: the state file needs the native addon', {
      stateFile: path,
      reason: native === null ? nativeLoadError() : 'the addon has no mapState (rebuild it)',
    });
    return null;
  }
  const layout = connLayout(capacity);
  let mapped: { buffer: ArrayBuffer; previousBytes: number };
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    mapped = native.mapState(path, layout.totalBytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EWOULDBLOCK' || err.code === 'EAGAIN' ? 'another process holds it' : err.message;
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
        : (headerMismatch(head, layout) ?? '');
  if (fresh !== '') {
    new Uint8Array(buffer).fill(0);
    head.set(encodeHeader(layout));
    const level = previousBytes === 0 || fresh === 'it is new (all zero)' ? 'info' : 'warn';
    log[level]('connection state file: starting with an empty connection table', {
      stateFile: path,
      reason: fresh,
    });
  }
  return { path, memory: buffer, attach: fresh === '', fresh };
}
