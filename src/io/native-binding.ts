// native-binding: loads the N-API packet I/O addon (native/build/Release/tsvs_native.node) on
// first use and says exactly how to build it when it is missing.

import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TsvsError } from '../lib/errors.ts';
import { NATIVE_STAT_COLUMNS } from './native-stats.ts';

export { NATIVE_STAT_COLUMNS, type NativePortStats, type NativeStatColumn } from './native-stats.ts';

/** Opaque handle of one open set of AF_PACKET sockets. */
export type NativeHandle = object;

export interface NativePortInfo {
  readonly ifindex: number;
  readonly mac: Buffer;
  readonly mtu: number;
  /** V2: frame slots in the RX ring; V3: blocks. */
  readonly ringSlots: number;
}

export interface NativeOpenOptions {
  version?: number;
  ringBytes?: number;
  frameBytes?: number;
  blockBytes?: number;
  blockTimeoutMs?: number;
  bigSlots?: number;
  jumboSlots?: number;
  stageBytes?: number;
  txCapacity?: number;
  pollIntervalUs?: number;
  pollEnterFrames?: number;
  pollExitFrames?: number;
  spinUs?: number;
}

export interface NativeOpened {
  readonly handle: NativeHandle;
  /** One Buffer over every RX ring, the big-frame slots and the TX staging area. */
  readonly buffer: Buffer;
  readonly stageOff: number;
  readonly stageLen: number;
  readonly version: number;
  readonly txCapacity: number;
  readonly ports: readonly NativePortInfo[];
}

export interface NativeBinding {
  ifInfo(name: string): { ifindex: number; mac: Buffer; mtu: number };
  open(names: readonly string[], opts: NativeOpenOptions): NativeOpened;
  setArrays(
    h: NativeHandle,
    rxOff: Int32Array,
    rxLen: Int32Array,
    rxFlags: Uint8Array,
    rxPort: Uint8Array,
    txOff: Int32Array,
    txLen: Int32Array,
    txFlags: Uint8Array,
    txPort: Uint8Array,
  ): void;
  /** onRx(n) runs once per batch of n frames and returns how many frames it queued for TX. */
  start(h: NativeHandle, onRx: (n: number) => number, maxBatches: number): void;
  send(h: NativeHandle, n: number): number;
  copyIn(h: NativeHandle, src: Uint8Array, srcOff: number, dstOff: number, len: number): void;
  /** One row of NATIVE_STAT_COLUMNS.length numbers per port, in the order of statColumns. */
  stats(h: NativeHandle): Float64Array;
  /** [wakeups, ticks, switches, batches, polling (0/1), spins, spinFrames] */
  loopStats(h: NativeHandle): Float64Array;
  /**
   * Re-opens a port on the interface that now holds its name (a deleted one that returned): new
   * sockets, the ring at the same place in the buffer. Throws with code ENODEV while there is none.
   */
  reattach(h: NativeHandle, port: number): { ifindex: number; mac: Buffer; mtu: number };
  /**
   * Joins port's RX socket (jumbo: its jumbo ring's socket) to PACKET_FANOUT_CBPF group id (0 = a
   * new group, id chosen by the kernel); returns the group's id, 0 for a jumbo join on a port
   * without a jumbo ring. A member's index in the group is its join order (native/fanout.c).
   */
  fanoutJoin(h: NativeHandle, port: number, id: number, jumbo: boolean): number;
  /** Sets the classic BPF program (two words per instruction) of port's groups (RX and jumbo ring). */
  fanoutProgram(h: NativeHandle, port: number, prog: Uint32Array): void;
  /** The busy-poll window after frames (us, 0 = off), applied from the next wakeup. */
  setSpinUs(h: NativeHandle, us: number): void;
  /**
   * Stops the loop and closes the sockets; closing again does nothing. After close, every other call
   * with the handle throws an Error with code EBADF ("<call>: tsvs native handle is closed").
   */
  close(h: NativeHandle): void;
  /**
   * Opens (creating, mode 0600), locks (flock, not waiting) and maps `bytes` bytes of a state file
   * shared (MAP_SHARED): every store into the buffer is in the file at once. A file of another size
   * is emptied to zeros first; previousBytes is its size before (0: new). Throws with code
   * EWOULDBLOCK when another process holds the file. The lock lasts as long as the buffer.
   */
  mapState(path: string, bytes: number): { buffer: ArrayBuffer; previousBytes: number };
  /** The names of stats()'s columns, from native/stats-columns.h as the addon was built. */
  readonly statColumns: readonly string[];
}

export const NATIVE_BUILD_HINT =
  'build it with `npm run setup`, or by hand: `cd native && node ../node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=/usr` ' +
  "(needs a C compiler and Node's headers, e.g. Debian's build-essential and libnode-dev)";

let cached: NativeBinding | null = null;
let loadError: string | null = null;
let loadedFrom = '';

/** Where the addon is looked for: TSVS_NATIVE, then native/ above src/ or dist/src/. */
export function nativeCandidates(): string[] {
  const env = process.env['TSVS_NATIVE'];
  const list = env ? [env] : [];
  for (const up of ['../../', '../../../']) {
    list.push(fileURLToPath(new URL(`${up}native/build/Release/tsvs_native.node`, import.meta.url)));
  }
  return list;
}

/**
 * Why an addon reporting these stats() columns cannot be read with NATIVE_STAT_COLUMNS (an addon
 * built from another native/stats-columns.h), or null when they agree.
 */
export function statColumnsMismatch(cols: readonly string[] | undefined): string | null {
  if (!Array.isArray(cols)) return 'it does not report its stats columns';
  const want = NATIVE_STAT_COLUMNS.join(',');
  const have = cols.join(',');
  return have === want ? null : `its stats columns are ${have}, src/io/native-stats.ts has ${want}`;
}

/** The addon, or null with the reason in nativeLoadError(). */
export function tryLoadNative(): NativeBinding | null {
  if (cached !== null || loadError !== null) return cached;
  const req = createRequire(import.meta.url);
  const found = nativeCandidates().find((p) => existsSync(p));
  if (found === undefined) {
    loadError = `the native packet I/O addon is not built (no ${nativeCandidates().join(' or ')}): ${NATIVE_BUILD_HINT}`;
    return null;
  }
  let b: NativeBinding;
  try {
    b = req(found) as NativeBinding;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    loadError = `the native packet I/O addon at ${found} does not load (${msg}): ${NATIVE_BUILD_HINT}`;
    return null;
  }
  const mismatch = statColumnsMismatch(b.statColumns);
  if (mismatch !== null) {
    loadError = `the native packet I/O addon at ${found} is stale (${mismatch}): ${NATIVE_BUILD_HINT}`;
    return null;
  }
  cached = b;
  loadedFrom = found;
  return cached;
}

/**
 * The addon's state for `tsvsd --version`: "built 2026-12-06 20:40 UTC for node-abi 115" (the
 * file's time; an N-API addon that loads here runs under this Node's ABI), "not built", or
 * "unusable" with the reason when the file is there but does not load.
 */
export function nativeBuildSummary(): string {
  if (tryLoadNative() === null) {
    return nativeCandidates().some((p) => existsSync(p)) ? `unusable: ${loadError ?? 'unknown error'}` : 'not built';
  }
  const built = statSync(loadedFrom).mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `built ${built} UTC for node-abi ${process.versions.modules}`;
}

export function nativeLoadError(): string | null {
  tryLoadNative();
  return loadError;
}

/** The addon, or TsvsError NATIVE_MISSING explaining how to build it. */
export function loadNative(): NativeBinding {
  const b = tryLoadNative();
  if (b === null) throw new TsvsError('NATIVE_MISSING', `AF_PACKET I/O unavailable: ${loadError ?? 'unknown error'}`);
  return b;
}
