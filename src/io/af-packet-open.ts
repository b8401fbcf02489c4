// Opening the native AF_PACKET ports (native/ring.c) for AfPacketIo: the options, their defaults,
// and the errors an operator can act on (a missing interface, missing capabilities) instead of
// the addon's bare errno.

import { TsvsError } from '../lib/errors.ts';
import { loadNative, type NativeBinding, type NativeOpened, type NativeOpenOptions } from './native-binding.ts';

export interface AfPacketOptions {
  /** RX ring kind: 2 = TPACKET_V2 (per-frame wakeups, lowest latency; default), 3 = TPACKET_V3. */
  ringVersion?: 2 | 3;
  /** RX ring size per port (default 16 MiB: 8192 V2 slots of 2 KiB, ~13 ms at 600k pps). */
  ringBytes?: number;
  /** V2 frame slot (default: the smallest power of two >= 2048 holding an MTU-sized frame). */
  frameBytes?: number;
  /** V3 block size (default 256 KiB) and block retire timeout (default 1 ms). */
  blockBytes?: number;
  blockTimeoutMs?: number;
  /**
   * V2: slots for frames bigger than a ring slot per batch, read whole from the socket queue
   * (default 64); with a jumbo ring only frames bigger than a jumbo slot (BIG TCP) take them.
   */
  bigSlots?: number;
  /**
   * V2: slots of each port's jumbo ring, a second RX ring whose slots hold a whole 64 KiB GSO
   * superpacket (default 128, 8.5 MiB per port; 0 = none). native/ring.h says why.
   */
  jumboSlots?: number;
  /** TX staging for frames queued from memory outside the region (default 1 MiB). */
  stageBytes?: number;
  /** Frames per RxBatch (default 256). */
  batchSize?: number;
  /** Frames that can be queued for TX before flush (default 1024). */
  txCapacity?: number;
  /** Batches handled per wakeup before yielding to the event loop (default 8). */
  maxBatchesPerWake?: number;
  /**
   * Adaptive wakeups (native/loop.c): when one wakeup finds >= pollEnterFrames frames (default 16),
   * stop waking per frame and poll the rings every pollIntervalUs (default 100 with V2, 0 = never
   * with V3); go back when a poll finds fewer than pollExitFrames (default 4).
   */
  pollIntervalUs?: number;
  pollEnterFrames?: number;
  pollExitFrames?: number;
  /**
   * Busy polling: after a wakeup that found frames, keep checking the rings for spinUs more
   * (each batch found restarts the window; at most 1 ms per wakeup). 0 = off. Default
   * DEFAULT_SPIN_US.
   */
  spinUs?: number;
}

/**
 * Busy-poll window after frames (AfPacketOptions.spinUs) unless set. Off: with the kernel
 * ingress filter a wakeup is cheap, so spinning costs more CPU than it saves (keep-alive
 * requests/s fall by about a quarter with 20 or 50 us; bench/RESULTS-compare.md).
 */
export const DEFAULT_SPIN_US = 0;

const CAP_HINT =
  'needs CAP_NET_RAW (and CAP_NET_ADMIN for the large socket buffers): run as root, or grant them with ' +
  '`setcap cap_net_raw,cap_net_admin+ep $(which node)`, or with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in the systemd unit';

function errCode(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : '';
}

export interface OpenedPorts {
  readonly nat: NativeBinding;
  readonly opened: NativeOpened;
  readonly version: 2 | 3;
}

/** Opens one AF_PACKET socket per interface (in the caller's network namespace), with clear errors. */
export function openPorts(ifnames: readonly string[], opts: AfPacketOptions): OpenedPorts {
  if (ifnames.length === 0 || ifnames.length > 16) {
    throw new TsvsError('PACKET_IO_OPEN', `AF_PACKET I/O needs 1 to 16 interfaces, got ${ifnames.length}`);
  }
  const nat = loadNative();
  for (const n of ifnames) {
    try {
      nat.ifInfo(n);
    } catch (e) {
      if (errCode(e) === 'ENODEV') {
        throw new TsvsError('NO_SUCH_INTERFACE', `Interface ${n} does not exist (in this network namespace)`, {
          cause: e,
        });
      }
      throw e;
    }
  }
  const version = opts.ringVersion ?? 2;
  // Adaptive polling suits V2 (a wakeup per frame); a V3 ring wakes per block already.
  const nopts: NativeOpenOptions = {
    version,
    txCapacity: opts.txCapacity ?? 1024,
    pollIntervalUs: version === 3 ? 0 : 100,
    spinUs: DEFAULT_SPIN_US,
  };
  const keys = [
    'ringBytes',
    'frameBytes',
    'blockBytes',
    'blockTimeoutMs',
    'bigSlots',
    'jumboSlots',
    'stageBytes',
    'pollIntervalUs',
    'pollEnterFrames',
    'pollExitFrames',
    'spinUs',
  ] as const;
  for (const k of keys) {
    const v = opts[k];
    if (v !== undefined) nopts[k] = v;
  }
  let opened;
  try {
    opened = nat.open(ifnames, nopts);
  } catch (e) {
    const code = errCode(e);
    const msg = e instanceof Error ? e.message : String(e);
    if (code === 'EPERM' || code === 'EACCES') {
      throw new TsvsError(
        'NEED_CAP_NET_RAW',
        `Cannot open AF_PACKET on ${ifnames.join(', ')}: ${msg}; packet I/O ${CAP_HINT}`,
        {
          cause: e,
        },
      );
    }
    if (code === 'ENODEV') {
      throw new TsvsError('NO_SUCH_INTERFACE', `Cannot open AF_PACKET: ${msg} (interface does not exist)`, {
        cause: e,
      });
    }
    throw new TsvsError('PACKET_IO_OPEN', `Cannot open AF_PACKET on ${ifnames.join(', ')}: ${msg}`, { cause: e });
  }
  return { nat, opened, version };
}
