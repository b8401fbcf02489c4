// workers-ops: trace, capture and vrrp.state with `[engine] workers N` (N > 1), the ops that reach
// into an engine, answered by asking every worker (worker-ops.ts) and merging what they say.
//
//   trace       each worker's ring is read from the cursor this thread keeps for it; the new
//               events are merged in time order into one ring here with its own sequence, so a
//               client reads one stream with one cursor, as from a single engine (engine-ops.ts).
//               Each event carries `worker`, the thread that saw it.
//   capture     every worker writes its own pair of files, PREFIX-wI-in.pcap / -out.pcap (each
//               sees only its flows); the reply lists them all.
//   vrrp.state  one VrrpStateKeeper here; a change is sent to every worker, and only worker 0
//               sends the gratuitous ARPs of a MASTER transition.

import type { Worker } from 'node:worker_threads';
import { TsvsError } from '../lib/errors.ts';
import type { TraceEvent } from '../datapath/trace.ts';
import type { FromWorker, ToWorker, WorkerOp } from './worker-messages.ts';
import type { Logger } from '../lib/logger.ts';
import {
  addVrrpStateOp,
  ownedAddressNames,
  type HandedVrrp,
  type VrrpStateKeeper,
  type VrrpTarget,
} from './vrrp-state.ts';
import { followVrrpFifo, type VrrpFifoReader } from './vrrp-fifo.ts';
import { addTraceCaptureOps } from './engine-ops.ts';
import type { TsvsDaemon } from './daemon.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { OwnedAddrs } from '../datapath/owned-addrs.ts';
import { dirname, isAbsolute, join } from 'node:path';

/** Longest wait for a worker's answer; a worker that does not answer fails the op. */
const OP_TIMEOUT_MS = 5000;
/** Events the merged trace ring keeps (a client reading less often than this loses the oldest). */
const MERGED_TRACE_EVENTS = 8192;

let nextId = 1;

/** Asks every worker op (args per worker index) and resolves with their results in index order. */
export function askWorkers(
  threads: readonly Worker[],
  op: WorkerOp,
  args: (index: number) => Record<string, unknown>,
): Promise<unknown[]> {
  return Promise.all(
    threads.map(
      (w, i) =>
        new Promise<unknown>((resolve, reject) => {
          const id = nextId++;
          const timer = setTimeout(() => {
            w.off('message', onMsg);
            reject(new TsvsError('EWORKERS', `engine worker ${i} did not answer ${op} within ${OP_TIMEOUT_MS} ms`));
          }, OP_TIMEOUT_MS);
          const onMsg = (m: FromWorker): void => {
            if (m.type !== 'opReply' || m.id !== id) return;
            clearTimeout(timer);
            w.off('message', onMsg);
            if (m.error !== '') reject(new TsvsError('EWORKERS', `engine worker ${i}: ${m.error}`));
            else resolve(m.result);
          };
          w.on('message', onMsg);
          w.postMessage({ type: 'op', id, op, args: args(i) } satisfies ToWorker);
        }),
    ),
  );
}

interface WorkerTrace {
  head: number;
  enabled: boolean;
  events: TraceEvent[];
}

/** The workers' trace rings as one: read from a cursor, as one engine's TraceRing. */
export class WorkersTrace {
  private cursors: number[] = [];
  private readonly ring: (TraceEvent & { worker: number })[] = [];
  /** Sequence number of the next merged event. */
  private head = 0;
  enabled = false;

  /** The trace op: switch the rings on or off, fetch what is new, answer from `cursor` (default: now). */
  async op(threads: () => readonly Worker[], args: Record<string, unknown>, max: number): Promise<unknown> {
    const enable = typeof args['enable'] === 'boolean' ? args['enable'] : undefined;
    const all = threads();
    // A restarted set of workers starts its rings at 0 again.
    if (this.cursors.length !== all.length) this.cursors = all.map(() => 0);
    const got = (await askWorkers(all, 'trace', (i) => ({
      ...(enable === undefined ? {} : { enable }),
      cursor: this.cursors[i],
      max: MERGED_TRACE_EVENTS,
    }))) as WorkerTrace[];
    const fresh: (TraceEvent & { worker: number })[] = [];
    got.forEach((g, i) => {
      this.cursors[i] = g.events.length > 0 ? g.events[g.events.length - 1]!.seq + 1 : g.head;
      for (const e of g.events) fresh.push({ ...e, worker: i });
    });
    fresh.sort((a, b) => a.timeMs - b.timeMs || a.worker - b.worker || a.seq - b.seq);
    for (const e of fresh) this.ring.push({ ...e, seq: this.head++ });
    if (this.ring.length > MERGED_TRACE_EVENTS) this.ring.splice(0, this.ring.length - MERGED_TRACE_EVENTS);
    this.enabled = got.every((g) => g.enabled);
    const cursor = typeof args['cursor'] === 'number' ? args['cursor'] : this.head;
    const first = this.ring.findIndex((e) => e.seq >= cursor);
    const events = first < 0 ? [] : this.ring.slice(first, first + max);
    return { head: this.head, enabled: this.enabled, events };
  }
}

/** The workers as the VRRP state's target: a change goes to every worker, worker 0 announces. */
export function workersVrrpTarget(
  threads: () => readonly Worker[],
  addresses: readonly string[],
  log: Logger,
  standbyAtStart: boolean,
): VrrpTarget {
  let standby = standbyAtStart;
  return {
    addresses: () => [...addresses],
    answering: () => !standby,
    setStandby(on) {
      standby = on;
      askWorkers(threads(), 'standby', (i) => ({ on, announce: i === 0 })).catch((e: unknown) =>
        log.error('engine workers did not all take the vrrp state', { error: (e as Error).message, standby: on }),
      );
    },
  };
}

/** Captures from every worker: PREFIX-wI-in.pcap and -out.pcap per worker I. */
export async function captureWorkers(
  threads: readonly Worker[],
  prefix: string,
  seconds: number,
  frames: number,
): Promise<{ files: string[] }> {
  const got = (await askWorkers(threads, 'capture', () => ({ prefix, seconds, frames }))) as { files: string[] }[];
  return { files: got.flatMap((g) => g.files) };
}

export interface WorkerOps {
  readonly vrrp: VrrpStateKeeper;
  readonly fifo: VrrpFifoReader | null;
  /** After the workers (re)started from the config: give them the keeper's current VRRP state. */
  resync(): void;
}

/**
 * Registers trace, capture and vrrp.state for the workers `threads()` returns (the current set:
 * a crash restarts them all), and follows the config's vrrp-notify-fifo as one engine does.
 * handed: the VRRP state a predecessor handed over (--takeover), else null.
 */
export function addWorkerOps(
  daemon: Pick<TsvsDaemon, 'addOp' | 'socketPath'>,
  threads: () => readonly Worker[],
  cfg: EngineConfig,
  log: Logger,
  handed: HandedVrrp | null,
): WorkerOps {
  const trace = new WorkersTrace();
  addTraceCaptureOps(daemon, {
    trace: (args, max) => trace.op(threads, args, max),
    capture: (prefix, seconds, frames) => captureWorkers(threads(), prefix, seconds, frames),
  });
  const fromConfig = cfg.vrrpState === 'backup';
  const addresses = ownedAddressNames(new OwnedAddrs(cfg));
  const target = workersVrrpTarget(threads, addresses, log, fromConfig);
  const vrrp = addVrrpStateOp(daemon, target, log, cfg.vrrpState, handed);
  // The workers start from the config's vrrp-state; the keeper may have moved on (a handed-over
  // state, a change before a crash restarted them). A worker already in the state does nothing.
  const resync = (): void => target.setStandby(vrrp.info().state !== 'MASTER');
  const f = cfg.vrrpNotifyFifo;
  const fifo =
    f === undefined ? null : followVrrpFifo(isAbsolute(f) ? f : join(dirname(daemon.socketPath), f), vrrp, log);
  return { vrrp, fifo, resync };
}
