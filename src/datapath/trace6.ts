// Trace6: the IPv6 path's writer into the rewrite trace (trace.ts), for the lab's trace lines
// (`npm run lab -- trace`, the demos) and the daemon's `trace` op. Pipeline6 calls save() before
// a rewrite (only while tracing is on) and one of rewrite() / drop() after it: the event holds
// the addresses and ports as the packet came (saved here) and as it leaves (the parsed frame,
// which the rewrite keeps up to date), the same pairs the IPv4 path records. No allocation: the
// saved addresses live in two preallocated arrays.

import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { ConnTable6 } from '../conn/conn-table6.ts';
import {
  TR_A6_DADDR,
  TR_A6_DEST,
  TR_A6_NDADDR,
  TR_A6_NSADDR,
  TR_A6_SADDR,
  TR_DROP,
  TR_F_IPV6,
  type TraceRing,
} from './trace.ts';

export class Trace6 {
  private readonly saddr = new Uint32Array(4);
  private readonly daddr = new Uint32Array(4);
  private sport = 0;
  private dport = 0;

  constructor(readonly ring: TraceRing) {}

  get enabled(): boolean {
    return this.ring.enabled;
  }

  /** Keep the packet's addresses and ports as it came, before a rewrite changes them. */
  save(f: ParsedFrame): void {
    this.saddr.set(f.saddr6);
    this.daddr.set(f.daddr6);
    this.sport = f.sport;
    this.dport = f.dport;
  }

  /** rewrite() for entry id of the IPv6 table: its state, its real server's address and port. */
  conn(nowMs: number, kind: number, flags: number, f: ParsedFrame, t6: ConnTable6, id: number): void {
    this.rewrite(nowMs, kind, flags, f, t6.table.state[id]!, t6.daddr6, id << 2, t6.table.dport[id]!);
  }

  /**
   * A rewritten packet (TR_IN or TR_OUT): before = what save() kept, after = the frame now;
   * detail = the connection's state after the packet, dest = the real server's address and port.
   */
  rewrite(
    nowMs: number,
    kind: number,
    flags: number,
    f: ParsedFrame,
    detail: number,
    dest: Uint32Array,
    destAt: number,
    destPort: number,
  ): void {
    const r = this.ring;
    r.record(
      nowMs,
      kind,
      flags | TR_F_IPV6,
      f.protocol,
      f.tcpFlags,
      0,
      this.sport,
      0,
      this.dport,
      0,
      f.sport,
      0,
      f.dport,
      detail,
      0,
      destPort,
    );
    r.addr6(TR_A6_SADDR, this.saddr, 0);
    r.addr6(TR_A6_DADDR, this.daddr, 0);
    r.addr6(TR_A6_NSADDR, f.saddr6, 0);
    r.addr6(TR_A6_NDADDR, f.daddr6, 0);
    r.addr6(TR_A6_DEST, dest, destAt);
  }

  /** A packet dropped for `reason` (a DROP_* number), with the addresses save() kept. */
  drop(nowMs: number, f: ParsedFrame, reason: number): void {
    const r = this.ring;
    const sp = this.sport;
    const dp = this.dport;
    r.record(nowMs, TR_DROP, TR_F_IPV6, f.protocol, f.tcpFlags, 0, sp, 0, dp, 0, sp, 0, dp, reason, 0, 0);
    r.addr6(TR_A6_SADDR, this.saddr, 0);
    r.addr6(TR_A6_DADDR, this.daddr, 0);
    r.addr6(TR_A6_NSADDR, this.saddr, 0);
    r.addr6(TR_A6_NDADDR, this.daddr, 0);
    r.addr6(TR_A6_DEST, this.daddr, 0);
  }
}
