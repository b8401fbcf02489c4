// The set-up both halves of bench/pipeline.bench.ts share (pipeline4-batch.ts, pipeline6-batch.ts):
// `conns` connections opened by SYNs through the engine's pipeline, `size` frames a batch, before
// anything is measured.

import type { Engine } from '../src/datapath/engine.ts';
import { RxBatch } from '../src/datapath/packet-io.ts';

/** Open `conns` connections, a SYN each from client port 10000 + i; synFrame builds that SYN. */
export function openBySyns(
  engine: Engine,
  size: number,
  conns: number,
  now: number,
  slot: number,
  synFrame: (sport: number) => Buffer,
): void {
  const syns = new RxBatch(size);
  syns.buf = Buffer.alloc(size * slot);
  for (let c = 0; c < conns; c += size) {
    for (let i = 0; i < size; i++) {
      const f = synFrame(10000 + c + i);
      f.copy(syns.buf, i * slot);
      syns.off[i] = i * slot;
      syns.len[i] = f.length;
      syns.port[i] = 0;
    }
    syns.count = size;
    engine.pipeline.processBatch(syns, now);
  }
}
