// WorkersRejoin: an interface that was deleted and came back (a new ifindex) gets new sockets in
// every worker, and new fanout groups: worker 0 re-attaches and creates them, then worker 1 joins,
// and so on, so that each member keeps its index and with it its flows (engine-workers.ts tells
// why the order matters). One rejoin per port at a time; a failed one is retried by the next look
// that finds the interface back.

import type { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/logger.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import type { FromWorker, ToWorker } from './worker-messages.ts';

export class WorkersRejoin {
  /** Per port: the ifindex whose groups the workers joined last. */
  private readonly joinedIfindex: number[];
  private readonly running = new Set<number>();

  constructor(
    private readonly cfg: EngineConfig,
    private readonly log: Logger,
  ) {
    this.joinedIfindex = cfg.ports.map(() => 0);
  }

  /** Every worker of `threads` re-attaches port and joins its new groups, in index order. */
  async rejoin(threads: readonly Worker[], port: number, ifindex: number): Promise<void> {
    if (this.running.has(port) || this.joinedIfindex[port] === ifindex) return;
    this.running.add(port);
    const name = this.cfg.ports[port]?.name ?? `port ${port}`;
    let rx = 0;
    let jumbo = 0;
    try {
      for (const [index, w] of threads.entries()) {
        const r = await reply(w, { type: 'rejoin', port, rx, jumbo });
        if (r.error !== '') throw new Error(`worker ${index}: ${r.error}`);
        rx = r.rx;
        jumbo = r.jumbo;
        this.joinedIfindex[port] = r.ifindex;
      }
      this.log.info(`interface ${name} is back: every worker re-attached and joined its fanout groups`, {
        interface: name,
        workers: threads.length,
      });
    } catch (e) {
      this.joinedIfindex[port] = 0; // the next look that finds it tries again
      this.log.warn(`interface ${name} is back but the workers cannot all re-attach`, { error: (e as Error).message });
    } finally {
      this.running.delete(port);
    }
  }
}

/** Sends the rejoin request and resolves with the worker's answer for that port. */
function reply(w: Worker, m: ToWorker & { type: 'rejoin' }): Promise<FromWorker & { type: 'rejoined' }> {
  return new Promise((resolve, reject) => {
    const onMsg = (r: FromWorker): void => {
      if (r.type !== 'rejoined' || r.port !== m.port) return;
      w.off('message', onMsg);
      w.off('exit', onExit);
      resolve(r);
    };
    const onExit = (): void => {
      w.off('message', onMsg);
      reject(new Error('the worker exited'));
    };
    w.on('message', onMsg);
    w.once('exit', onExit);
    w.postMessage(m);
  });
}
