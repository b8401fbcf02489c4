// FindingLog: what the fuzzer keeps of the invariants broken (bench/fuzz/fuzzer.ts): every
// finding counted by its kind (the detail with its numbers stripped), the first few of each kind
// kept whole, and the one-line form that replays: seed, frame index, the frames' hex.

import type { FuzzFrame } from './mutate.ts';

export interface Finding {
  readonly kind: 'exception' | 'frame' | 'table';
  readonly seed: number;
  /** Index of the injected frame (-1 for a timer run between frames). */
  readonly index: number;
  readonly detail: string;
  readonly input: FuzzFrame | null;
  /** Hex of the emitted frame that broke an invariant. */
  readonly outputHex: string | null;
}

const KEEP_FINDINGS = 100;
const KEEP_PER_SIGNATURE = 3;

export class FindingLog {
  readonly findings: Finding[] = [];
  /** Findings per kind of violation (the detail with its numbers stripped). */
  readonly signatures = new Map<string, number>();

  /** Keep the first few findings of each kind of violation (numbers stripped), up to a bound. */
  report(f: Finding): void {
    const sig = `${f.kind} ${f.detail.split('\n')[0]!.replace(/\b(0x[0-9a-f]+|\d+)\b/g, '#')}`;
    const n = this.signatures.get(sig) ?? 0;
    this.signatures.set(sig, n + 1);
    if (n < KEEP_PER_SIGNATURE && this.findings.length < KEEP_FINDINGS) this.findings.push(f);
  }
}

/** A finding as one line: seed, frame index, what broke, and the frames' hex to replay. */
export function formatFinding(f: Finding): string {
  const head = `finding ${f.kind} seed=${f.seed} frame=${f.index}`;
  const input =
    f.input === null
      ? ''
      : ` port=${f.input.port} flags=${f.input.flags}${f.input.vnet ? ` vnet=${f.input.vnet.toString('hex')}` : ''} hex=${f.input.frame.toString('hex')}`;
  const out = f.outputHex === null ? '' : ` emitted=${f.outputHex}`;
  return `${head}: ${f.detail.split('\n').slice(0, 6).join(' | ')}${input}${out}`;
}
