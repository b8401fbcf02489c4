// addEngineOps: the control ops of a running engine in tsvsd: engine.stats (what ipvsadm reads from
// /proc/net/ip_vs_stats and more: counters, drops, neighbours, VRRP and state-file state), trace
// (the data path's event ring, read from a cursor) and capture (frames written to pcap files).

import type { TsvsDaemon } from './daemon.ts';
import { TsvsError } from '../lib/errors.ts';
import type { Engine } from '../datapath/engine.ts';

/** Most trace events one trace call returns; the client asks again from the cursor it got. */
const TRACE_EVENTS_PER_CALL = 1000;
/** Longest capture asked for, in seconds; a longer one is cut to this. */
const CAPTURE_MAX_SECONDS = 3600;

/**
 * Registers on daemon: engine.stats, answered by stats() (engineStats in engine-runner.ts plus
 * what only the runner knows); trace, which switches engine's trace ring on or off and returns
 * the events since a cursor; capture, which starts writing frames to files named from an
 * absolute prefix, for a number of seconds (default 10) or frames (default 100,000).
 */
export function addEngineOps(daemon: TsvsDaemon, engine: Engine, stats: () => Record<string, unknown>): void {
  daemon.addOp('engine.stats', stats);
  daemon.addOp('trace', (args) => {
    if (typeof args['enable'] === 'boolean') engine.trace.enabled = args['enable'];
    const cursor = typeof args['cursor'] === 'number' ? args['cursor'] : engine.trace.head;
    return {
      head: engine.trace.head,
      enabled: engine.trace.enabled,
      events: engine.trace.readSince(cursor, TRACE_EVENTS_PER_CALL),
    };
  });
  daemon.addOp('capture', (args) => {
    const prefix = typeof args['prefix'] === 'string' ? args['prefix'] : '';
    if (!prefix.startsWith('/')) throw new TsvsError('EBADREQ', 'capture needs an absolute file prefix, e.g. /tmp/lvs');
    const seconds =
      typeof args['seconds'] === 'number' && args['seconds'] > 0 ? Math.min(args['seconds'], CAPTURE_MAX_SECONDS) : 10;
    const frames = typeof args['frames'] === 'number' && args['frames'] > 0 ? args['frames'] : 100_000;
    const c = engine.startCapture(prefix, seconds, frames);
    return { files: c.files, seconds, frames };
  });
}
