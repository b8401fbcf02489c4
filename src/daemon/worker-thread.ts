// worker-thread: the main thread's plumbing for one data-path thread (engine-worker.ts): spawning
// it from source or from dist/, waiting for one of its messages, stopping a set of them with a
// grace period, and putting a worker's log lines into the daemon's log with the worker's index.

import { Worker } from 'node:worker_threads';
import { isLevel, type Logger } from '../lib/logger.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker-messages.ts';

/**
 * A data-path thread. From dist/ it runs engine-worker.js; from source (tsx, tests and the lab) a
 * worker's entry module is not seen by the loader hooks that `--import tsx` registered (Node 20
 * loads it before they apply in the new thread), so a bootstrap registers tsx there first.
 */
export function spawnWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: init });
  const entry = JSON.stringify(new URL('./engine-worker.ts', import.meta.url).href);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/** Calls send(), then resolves on the worker's first message of `type`. */
export function untilMessage(w: Worker, type: FromWorker['type'], send: () => void): Promise<void> {
  return new Promise((resolve) => {
    const onMsg = (m: FromWorker): void => {
      if (m.type !== type) return;
      w.off('message', onMsg);
      resolve();
    };
    w.on('message', onMsg);
    send();
  });
}

/** Asks every worker to stop; one still running after graceMs is terminated. */
export async function stopWorkers(all: readonly Worker[], graceMs: number): Promise<void> {
  await Promise.all(
    all.map(
      (w) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(() => void w.terminate(), graceMs);
          w.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          w.postMessage({ type: 'stop' } satisfies ToWorker);
        }),
    ),
  );
}

/** A worker's log line (JSON: time, level, msg, fields) in the daemon's log, with the worker's index. */
export function relayWorkerLog(log: Logger, json: string, worker: number): void {
  try {
    type Entry = Record<string, string | number | boolean | null>;
    const { time: _time, level, msg, ...fields } = JSON.parse(json) as Entry;
    const lv = String(level);
    if (isLevel(lv)) log.log(lv, String(msg), { ...fields, worker });
  } catch {
    log.warn('an engine worker logged a line that is not JSON', { worker, line: json.slice(0, 200) });
  }
}
