// addEngineOps: the control ops of a running engine in tsvsd: engine.stats (what ipvsadm reads from
// /proc/net/ip_vs_stats and more: counters, drops, neighbours, VRRP and state-file state), trace
// (the data path's event ring, read from a cursor) and capture (frames written to pcap files), for
// one engine here and for the workers through TraceCaptureTarget (workers-ops.ts).

import type { TsvsDaemon } from './daemon.ts';
import { TsvsError } from '../lib/errors.ts';
import type { Engine } from '../datapath/engine.ts';

/** Most trace events one trace call returns; the client asks again from the cursor it got. */
const TRACE_EVENTS_PER_CALL = 1000;
/** Longest capture asked for, in seconds; a longer one is cut to this. */
const CAPTURE_MAX_SECONDS = 3600;

/** Where trace and capture go: one engine (addEngineOps) or the workers (workers-ops.ts). */
export interface TraceCaptureTarget {
  /** The trace op's answer {head, enabled, events}: `enable` applied first, events from `cursor`. */
  trace(args: Record<string, unknown>, max: number): unknown;
  /** Start a capture; its files. */
  capture(prefix: string, seconds: number, frames: number): { files: string[] } | Promise<{ files: string[] }>;
}

/**
 * Registers trace, which switches the trace ring(s) on or off and returns the events since a
 * cursor, and capture, which starts writing frames to files named from an absolute prefix, for a
 * number of seconds (default 10) or frames (default 100,000).
 */
export function addTraceCaptureOps(daemon: Pick<TsvsDaemon, 'addOp'>, target: TraceCaptureTarget): void {
  daemon.addOp('trace', (args) => target.trace(args, TRACE_EVENTS_PER_CALL));
  daemon.addOp('capture', async (args) => {
    const prefix = typeof args['prefix'] === 'string' ? args['prefix'] : '';
    if (!prefix.startsWith('/')) throw new TsvsError('EBADREQ', 'capture needs an absolute file prefix, e.g. /tmp/lvs');
    const seconds =
      typeof args['seconds'] === 'number' && args['seconds'] > 0 ? Math.min(args['seconds'], CAPTURE_MAX_SECONDS) : 10;
    const frames = typeof args['frames'] === 'number' && args['frames'] > 0 ? args['frames'] : 100_000;
    const c = await target.capture(prefix, seconds, frames);
    return { files: c.files, seconds, frames };
  });
}

/** Registers on daemon: engine.stats, answered by stats(), and trace and capture of `engine`. */
export function addEngineOps(daemon: TsvsDaemon, engine: Engine, stats: () => Record<string, unknown>): void {
  daemon.addOp('engine.stats', stats);
  addTraceCaptureOps(daemon, {
    trace(args, max) {
      if (typeof args['enable'] === 'boolean') engine.trace.enabled = args['enable'];
      const cursor = typeof args['cursor'] === 'number' ? args['cursor'] : engine.trace.head;
      return { head: engine.trace.head, enabled: engine.trace.enabled, events: engine.trace.readSince(cursor, max) };
    },
    capture: (prefix, seconds, frames) => engine.startCapture(prefix, seconds, frames),
  });
}
