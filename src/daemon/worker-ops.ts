// worker-ops: the control ops a data-path thread answers for its own engine (engine-worker.ts),
// asked by the main thread (workers-ops.ts) with an id and answered with that id:
//
//   trace    {enable?, cursor?, max}      -> {head, enabled, events}  this engine's trace ring
//   capture  {prefix, seconds, frames}    -> {files}                  pcap files of this worker
//   standby  {on, announce}               -> {answering}              VRRP: hold the owned
//            addresses silent or answer for them (announce: send the gratuitous ARPs; only
//            worker 0 does, so a MASTER transition sends keepalived's count once, not per worker)
//
// A failure is answered with its message; the op never throws into the message handler.

import type { Engine } from '../datapath/engine.ts';
import type { FromWorker, WorkerOp } from './worker-messages.ts';

type Args = Readonly<Record<string, unknown>>;

function trace(e: Engine, args: Args): unknown {
  if (typeof args['enable'] === 'boolean') e.trace.enabled = args['enable'];
  const cursor = typeof args['cursor'] === 'number' ? args['cursor'] : e.trace.head;
  const max = typeof args['max'] === 'number' ? args['max'] : 1000;
  return { head: e.trace.head, enabled: e.trace.enabled, events: e.trace.readSince(cursor, max) };
}

function capture(e: Engine, args: Args, index: number): unknown {
  const prefix = `${String(args['prefix'])}-w${index}`;
  const c = e.startCapture(prefix, Number(args['seconds']), Number(args['frames']));
  return { files: c.files };
}

function standby(e: Engine, args: Args): unknown {
  e.setStandby(args['on'] === true, args['announce'] === true);
  return { answering: !e.owned.standby };
}

/** Runs op on worker `index`'s engine (null: not started yet) and builds the reply. */
export function runWorkerOp(e: Engine | null, index: number, id: number, op: WorkerOp, args: Args): FromWorker {
  try {
    if (e === null) throw new Error(`engine worker ${index} is not started`);
    let result: unknown;
    if (op === 'trace') result = trace(e, args);
    else if (op === 'capture') result = capture(e, args, index);
    else result = standby(e, args);
    return { type: 'opReply', id, result, error: '' };
  } catch (err) {
    return { type: 'opReply', id, result: null, error: (err as Error).message };
  }
}
