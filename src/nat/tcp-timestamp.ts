// Full NAT TCP timestamp translation: the fix for real servers dropping SYNs of a reused local
// port. No kernel IPVS counterpart (kernel IPVS has no full NAT); Alibaba's FULLNAT patch
// (fullnat_timestamp_remove_entry) and DPVS deal with the same problem.
//
// Why: Linux gives every connection its own random TCP timestamp offset (clients here measured:
// TSvals of back-to-back SYNs from one host differ by billions). In classic NAT the real server
// sees the client's own 4-tuple, so a TIME_WAIT socket only ever meets later SYNs of that same
// tuple. In full NAT many client connections share <local address, local port> -> real server
// over time; when a port comes back while the server still holds the previous connection in
// TIME_WAIT, tcp_timewait_state_process() (net/ipv4/tcp_minisocks.c) compares the new SYN's TSval
// with the old connection's: a lower one is a PAWS reject (TcpExtPAWSTimewait), the SYN is
// answered with an ACK, the client resets and retries after a second. Measured on the lab:
// 512 rejects in a 5 s wrk run once the port pool had wrapped, 12k -> 1.7k requests/s.
//
// The fix: at the SYN, pick delta = now (ms) - TSval and translate every later segment of the
// connection: client -> server TSval += delta, server -> client TSecr -= delta. The real server
// then sees one clock per local address, the director's millisecond clock, which only moves
// forward (also across a restart of tsvsd: it is wall-clock time), so a reused port's SYN always
// carries a newer TSval than the TIME_WAIT socket holds and is accepted as a new connection.
// RTT measurement is untouched: each end still gets back exactly the TSval it sent. The pipeline
// also keeps, per local port, the newest TSval sent toward a real server and never starts a new
// connection on that port at or before it (floorTs): a client whose clock runs faster than 1 ms
// per ms (tcp_usec_ts routes) or a wall clock stepped backwards cannot break the order.
//
// Checksums: a full checksum is updated incrementally over the 16-bit words the changed 32 bits
// cover (the option may start at an odd offset); a partial checksum (CHECKSUM_PARTIAL, GSO) does
// not cover options yet and is left alone. No allocation, no exceptions.

import { rd16, rd32, wr16, wr32 } from '../packet/bytes.ts';
import { csumFold, fold16 } from '../packet/checksum.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { TCP_ACK, TCP_HLEN } from '../packet/tcp.ts';

const TCPOPT_EOL = 0;
const TCPOPT_NOP = 1;
const TCPOPT_TIMESTAMP = 8;
const TCPOLEN_TIMESTAMP = 10;

/** Offset of the TSval of the segment's timestamp option (TSecr follows at +4), or -1. */
export function tsOptionOff(buf: Uint8Array, f: ParsedFrame): number {
  if (f.protocol !== IPPROTO_TCP || f.fragOff !== 0 || f.tcpHdrLen <= TCP_HLEN) return -1;
  const end = f.l4Off + f.tcpHdrLen;
  let o = f.l4Off + TCP_HLEN;
  // The walk of tcp_parse_options() (net/ipv4/tcp_input.c), bounded by the header length.
  while (o < end) {
    const kind = buf[o]!;
    if (kind === TCPOPT_EOL) return -1;
    if (kind === TCPOPT_NOP) {
      o++;
      continue;
    }
    if (o + 2 > end) return -1;
    const len = buf[o + 1]!;
    if (len < 2 || o + len > end) return -1;
    if (kind === TCPOPT_TIMESTAMP) return len === TCPOLEN_TIMESTAMP ? o + 2 : -1;
    o += len;
  }
  return -1;
}

/** Adds delta (mod 2^32) to the 32-bit field at off inside the TCP header, checksum kept right. */
export function addToTcpWord(buf: Uint8Array, f: ParsedFrame, off: number, delta: number): void {
  const old = rd32(buf, off);
  const val = (old + delta) >>> 0;
  if (val === old) return;
  if (f.csumPartial !== 0) {
    wr32(buf, off, val);
    return;
  }
  // The checksum sums 16-bit words from the start of the TCP header: at an odd offset the four
  // bytes straddle three words. Sum those words before and after (RFC 1624: HC' = ~(~HC + ~m + m')).
  const start = off - ((off - f.l4Off) & 1);
  const words = start === off ? 2 : 3;
  let before = 0;
  for (let i = 0; i < words; i++) before += rd16(buf, start + 2 * i);
  wr32(buf, off, val);
  let after = 0;
  for (let i = 0; i < words; i++) after += rd16(buf, start + 2 * i);
  const at = f.l4CsumOff;
  wr16(buf, at, csumFold((~rd16(buf, at) & 0xffff) + (~fold16(before) & 0xffff) + after));
}

/** nowMs - tsval as int32, moved past floorTs (>= 0) when not after it; never 0 (0 = no translation). */
function deltaFor(tsval: number, nowMs: number, floorTs: number): number {
  let d = (nowMs - tsval) | 0;
  // Never at or before the newest TSval this local port already sent (after() in include/net/tcp.h).
  if (floorTs >= 0 && ((((tsval + d) >>> 0) - floorTs) | 0) <= 0) d = (floorTs + 1 - tsval) | 0;
  return d === 0 ? 1 : d; // one millisecond ahead is as good
}

/**
 * The delta for a new full NAT connection whose SYN is in f: nowMs - TSval (mod 2^32, as int32),
 * or 0 when the SYN carries no timestamp option (then the connection has none either).
 */
export function tsDeltaForSyn(buf: Uint8Array, f: ParsedFrame, nowMs: number, floorTs = -1): number {
  const off = tsOptionOff(buf, f);
  return off < 0 ? 0 : deltaFor(rd32(buf, off), nowMs, floorTs);
}

/** Client -> real server: TSval += delta; returns the new TSval, or -1 without a TS option. */
export function tsTranslateIn(buf: Uint8Array, f: ParsedFrame, delta: number): number {
  const off = tsOptionOff(buf, f);
  if (off < 0) return -1;
  addToTcpWord(buf, f, off, delta);
  return rd32(buf, off);
}

/**
 * The director's timestamp clock toward the real servers: per local port the newest TSval sent
 * (the floor of the next connection on that port), and the client -> server translation.
 */
export class LocalPortTsClock {
  private readonly last = new Uint32Array(65536);
  private readonly seen = new Uint8Array(65536);

  /**
   * A client -> real server segment of a full NAT TCP connection on local port lport: at the SYN
   * (isNew) pick the connection's delta, then translate TSval. Returns the delta to keep.
   */
  translateIn(buf: Uint8Array, f: ParsedFrame, lport: number, delta: number, isNew: boolean, nowMs: number): number {
    const off = tsOptionOff(buf, f);
    if (off < 0) return isNew ? 0 : delta;
    if (isNew) delta = deltaFor(rd32(buf, off), nowMs, this.seen[lport] !== 0 ? this.last[lport]! : -1);
    if (delta === 0) return 0;
    addToTcpWord(buf, f, off, delta);
    const v = rd32(buf, off);
    if (this.seen[lport] === 0 || ((v - this.last[lport]!) | 0) > 0) {
      this.last[lport] = v;
      this.seen[lport] = 1;
    }
    return delta;
  }
}

/** Real server -> client: TSecr -= delta (the client gets back the TSval it sent). */
export function tsTranslateOut(buf: Uint8Array, f: ParsedFrame, delta: number): void {
  const off = tsOptionOff(buf, f);
  if (off >= 0 && (f.tcpFlags & TCP_ACK) !== 0) addToTcpWord(buf, f, off + 4, -delta | 0);
}
