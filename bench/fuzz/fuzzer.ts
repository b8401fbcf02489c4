// Fuzzer: drives the whole director pipeline over MemoryIo with mutated frames and checks the
// invariants after every frame (output-checks.ts: bench/fuzz/frame-invariants.ts on each emitted
// frame, bench/fuzz/table-invariants.ts on the connection table). Everything follows from the seed:
// frame i of seed s is the same frame on every run, so a finding replays from (seed, index).
//
//   every MAINTAIN_EVERY frames: clock forward, expiry, ARP and defence timers, sometimes a
//                                real server added, removed or reweighted, neighbours relearnt,
//                                sometimes a SYN flood (embryonic quota, defences, full table),
//                                flows pruned and reopened (handshakes through the pipeline)
//   every step:    1 frame (or a batch of 2-16): base (golden/kernel corpus | live flow packet |
//                  recently emitted frame) -> Mutator -> inject + deliver -> check what was
//                  queued -> check the table
// An exception escaping the pipeline is a finding; the lab is then rebuilt from scratch.

import { DROP_COUNT, DROP_NAMES } from '../../src/lib/drops.ts';
import { Rng } from '../sim/rng.ts';
import { goldenCorpus, type SeedFrame } from './corpus.ts';
import { churn, fuzzLab, type FuzzLab } from './fuzz-lab.ts';
import { LiveTraffic, synFlood } from './live-traffic.ts';
import { Mutator, type FuzzFrame } from './mutate.ts';
import { OutputChecks } from './output-checks.ts';

export interface FuzzOptions {
  readonly seed: number;
  /** Connection table capacity (small, so a full table and slot reuse happen). */
  readonly connCapacity?: number;
  /** Check the table after every Nth frame (1 = every frame). */
  readonly tableEvery?: number;
  /** Called with every frame and what it produced (for --replay). */
  readonly watch?: (index: number, input: FuzzFrame, outputs: readonly Buffer[], drops: string[]) => void;
}

const MAINTAIN_EVERY = 256;
const MIN_FLOWS = 24;

export class Fuzzer {
  readonly seed: number;
  /** Frames injected so far (the next frame's index). */
  index = 0;
  exceptions = 0;
  /** The checks of what the director queued and of its table, their counts and findings. */
  readonly checks: OutputChecks;
  /** Drop reasons of the labs rebuilt after an exception (the current lab counts its own). */
  readonly drops = new Float64Array(DROP_COUNT);
  lab: FuzzLab;
  private live: LiveTraffic;
  private readonly rng: Rng;
  private readonly mutator: Mutator;
  private readonly corpus: SeedFrame[];
  private readonly tableEvery: number;
  private readonly capacity: number;
  /** run()'s frame count: batches and floods stop there. */
  private limit = Infinity;
  private nextMaintain = 0;

  constructor(private readonly opts: FuzzOptions) {
    this.seed = opts.seed >>> 0;
    this.checks = new OutputChecks(this.seed);
    this.rng = new Rng(this.seed);
    this.mutator = new Mutator(this.rng.fork('mutate'));
    this.corpus = goldenCorpus();
    this.tableEvery = opts.tableEvery ?? 1;
    this.capacity = opts.connCapacity ?? 512;
    this.lab = fuzzLab({ connCapacity: this.capacity, seed: this.seed });
    this.live = new LiveTraffic(this.lab, this.rng.fork('live'));
  }

  /** Run until `frames` frames have been injected. */
  run(frames: number): void {
    this.limit = frames;
    while (this.index < frames) this.step();
  }

  /** One fuzz frame (and, every MAINTAIN_EVERY frames, the timers and new flows first). */
  step(): void {
    const rng = this.rng;
    if (this.index >= this.nextMaintain) {
      this.maintain();
      this.nextMaintain = this.index + MAINTAIN_EVERY;
    }
    this.lab.advance(rng.int(8));
    const n = Math.min(rng.next() < 0.1 ? 2 + rng.int(15) : 1, this.limit - this.index);
    if (n <= 0) return;
    const batch: FuzzFrame[] = [];
    for (let i = 0; i < n; i++) {
      const base = rng.next() < 0.45 ? this.corpus[rng.int(this.corpus.length)]! : this.live.base();
      batch.push(
        base === null
          ? { frame: Buffer.alloc(0), port: 0, flags: 0, vnet: null }
          : this.mutator.mutate(base.frame, base.port),
      );
    }
    this.sendBatch(batch);
  }

  /** Open the live flows (as the first frame does), so a frame given by hand meets them. */
  warmUp(): void {
    this.maintain();
  }

  /** Inject one frame, run the pipeline, check every frame it queued and the table. */
  send(m: FuzzFrame): void {
    this.sendBatch([m]);
  }

  /** Inject frames as one batch (one deliver, one flush), then check as send() does. */
  sendBatch(ms: readonly FuzzFrame[]): void {
    const first = this.index;
    this.index += ms.length;
    const { io, engine } = this.lab;
    const origins = ms.map((m) => this.checks.origin(m));
    const before = this.opts.watch === undefined ? null : Float64Array.from(engine.drops.counts);
    try {
      for (const m of ms) io.inject(m.port, m.frame, m.flags, m.vnet ?? undefined);
      io.deliver();
    } catch (e) {
      // The frame being parsed when it threw: its offset is in the pipeline's ParsedFrame.
      const at = Math.max(0, io.lastOffsets.indexOf(engine.pipeline.f.frameOff));
      this.exception(first + at, ms[at] ?? null, e);
      return;
    }
    const sent = io.sent;
    this.checks.sent(this.lab, this.live, first, ms, origins);
    if (this.opts.watch !== undefined) {
      const after = engine.drops.counts;
      const drops: string[] = [];
      for (let r = 1; r < DROP_COUNT; r++) if (after[r] !== before![r]) drops.push(DROP_NAMES[r] ?? String(r));
      ms.forEach((m, j) => {
        const outs = sent.filter((_, k) => io.origins[k] === j || (j === 0 && io.origins[k] === -1));
        this.opts.watch!(
          first + j,
          m,
          outs.map((x) => x.frame),
          drops,
        );
      });
    }
    sent.length = 0;
    io.origins.length = 0;
    if (Math.floor((first + ms.length - 1) / this.tableEvery) !== Math.floor((first - 1) / this.tableEvery))
      this.checks.table(this.lab, first + ms.length - 1, ms[ms.length - 1]!);
  }

  /** Live entries in the connection table now. */
  get conns(): number {
    return this.lab.engine.conns.count;
  }

  close(): void {
    this.lab.engine.stop();
  }

  private maintain(): void {
    const rng = this.rng;
    const lab = this.lab;
    lab.advance(rng.next() < 0.05 ? 30_000 + rng.int(900_000) : rng.int(3000));
    try {
      lab.engine.tick();
      lab.engine.conns.defenseWork(lab.now());
      if (rng.next() < 0.2) churn(lab, (n) => rng.int(n));
    } catch (e) {
      this.exception(-1, null, e);
      return;
    }
    this.checks.sent(lab, this.live, -1, [], []); // ARP probes, frames the ARP queue gave up on
    lab.io.sent.length = 0;
    lab.io.origins.length = 0;
    if (rng.next() < 0.9) lab.learn();
    if (rng.next() < 0.03) {
      const flood = synFlood(rng, Math.min(300 + rng.int(700), this.limit - this.index - 1));
      const before = this.exceptions;
      for (let i = 0; i < flood.length && this.exceptions === before; i += 64) {
        this.sendBatch(flood.slice(i, i + 64));
        this.lab.advance(100); // the defence timer runs once a second through the flood
        if (i % 640 === 0) this.lab.engine.conns.defenseWork(this.lab.now());
      }
    }
    this.live.prune();
    // Bounded: under a full table or engaged defences an opening may fail.
    for (let tries = 0; this.live.count < MIN_FLOWS && tries < MIN_FLOWS && this.index < this.limit; tries++) {
      const before = this.exceptions;
      this.live.open((frame, port) => this.index < this.limit && this.send({ frame, port, flags: 0, vnet: null }));
      if (this.exceptions !== before) return;
    }
  }

  private exception(index: number, m: FuzzFrame | null, e: unknown): void {
    this.exceptions++;
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.checks.log.report({ kind: 'exception', seed: this.seed, index, detail, input: m, outputHex: null });
    // The MemoryIo still holds the frame and the pipeline may be half way: start afresh.
    const c = this.lab.engine.drops.counts;
    for (let r = 1; r < DROP_COUNT; r++) this.drops[r]! += c[r]!;
    this.lab.engine.stop();
    this.lab = fuzzLab({ connCapacity: this.capacity, seed: this.seed });
    this.live = new LiveTraffic(this.lab, this.rng.fork(`live${this.exceptions}`));
  }
}
