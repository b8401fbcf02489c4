// What the fuzzer checks after each batch (fuzzer.ts): every frame the director queued against the
// frame invariants (frame-invariants.ts) and, when it came from a received frame, the rewrite
// invariants (rewrite-invariants.ts); the connection table (table-invariants.ts). Counts what was
// emitted by kind and logs every violation as a finding that replays from (seed, index).

import { RXF_CSUM_PARTIAL } from '../../src/packet/rx-flags.ts';
import { checkTxFrame, type TxOrigin } from './frame-invariants.ts';
import { frameKind, ipv4Shape, l4Residual } from './frame-view.ts';
import { isSynproxyFrame, type FuzzLab } from './fuzz-lab.ts';
import { FindingLog } from './findings.ts';
import type { LiveTraffic } from './live-traffic.ts';
import type { FuzzFrame } from './mutate.ts';
import { RecentResiduals } from './recent-residuals.ts';
import { checkRewrite } from './rewrite-invariants.ts';
import { checkConnTable, embryonicExcess } from './table-invariants.ts';

const RECENT_BAD = 512;

export class OutputChecks {
  emitted = 0;
  frameViolations = 0;
  tableViolations = 0;
  /** What broke, kept by kind (findings.ts). */
  readonly log = new FindingLog();
  /** Emitted frames by kind: TCP, UDP, ICMP errors (NATed or built), other ICMP, ARP. */
  readonly emittedKinds = { tcp: 0, udp: 0, icmpError: 0, icmp: 0, arp: 0 };
  /** Table checks that found the embryonic list over its quota, the first such frame, the most. */
  readonly embryonicOver = { checks: 0, firstIndex: -1, max: 0 };
  private readonly recentBad = new RecentResiduals(RECENT_BAD);

  constructor(private readonly seed: number) {}

  /** What a received frame promises its outputs: its checksum state, remembered when it is bad. */
  origin(m: FuzzFrame): TxOrigin {
    const partial = (m.flags & RXF_CSUM_PARTIAL) !== 0;
    const s = ipv4Shape(m.frame);
    const residual = s === null ? -1 : l4Residual(m.frame, s, partial);
    if (residual >= 0 && residual !== 0xffff) this.recentBad.add(residual);
    return { partial, residual, recentBad: this.recentBad };
  }

  /**
   * Check every frame queued since the last check. Frame k came from received frame
   * io.origins[k] of the batch (frames[j], index first + j, described by origins[j]) or, at -1,
   * from director memory. Live flows remember what was sent, as bases for later frames.
   */
  sent(
    lab: FuzzLab,
    live: LiveTraffic,
    first: number,
    frames: readonly FuzzFrame[],
    origins: readonly TxOrigin[],
  ): void {
    const io = lab.io;
    const unknown: TxOrigin = { partial: null, residual: -1, recentBad: this.recentBad };
    const sent = io.sent;
    for (let k = 0; k < sent.length; k++) {
      const out = sent[k]!;
      const j = io.origins[k]!;
      const v =
        checkTxFrame(out.frame, io.ports[out.port]!.mac, origins[j] ?? unknown) ??
        (j >= 0 ? checkRewrite(frames[j]!.frame, out.frame, isSynproxyFrame(out.frame)) : null);
      if (v !== null) {
        this.frameViolations++;
        const index = j >= 0 ? first + j : first;
        const input = frames[Math.max(j, 0)] ?? null;
        this.log.report({
          kind: 'frame',
          seed: this.seed,
          index,
          detail: v,
          input,
          outputHex: out.frame.toString('hex'),
        });
      }
      this.emittedKinds[frameKind(out.frame)]++;
      if (out.frame.length >= 34) live.remember(out.frame, out.port);
    }
    this.emitted += sent.length;
  }

  /** The connection table's invariants after frame `index` (m), and the embryonic quota. */
  table(lab: FuzzLab, index: number, m: FuzzFrame | null): void {
    const x = embryonicExcess(lab.engine.conns.table);
    if (x > 0) {
      if (this.embryonicOver.checks++ === 0) this.embryonicOver.firstIndex = index;
      this.embryonicOver.max = Math.max(this.embryonicOver.max, x);
    }
    const v = checkConnTable(lab.engine.conns.table, 4);
    if (v.length === 0) return;
    this.tableViolations++;
    this.log.report({ kind: 'table', seed: this.seed, index, detail: v.join('; '), input: m, outputHex: null });
  }
}
