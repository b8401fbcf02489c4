// TCP options of a handshake: read MSS, window scale, SACK-permitted and timestamps from a segment
// (tcp_parse_options() in net/ipv4/tcp_input.c) and write the option block of a SYN or SYN-ACK
// in the order and padding Linux uses (tcp_options_write() in net/ipv4/tcp_output.c):
//
//   MSS           02 04 mm mm
//   SACK + TS     04 02 08 0a <TSval> <TSecr>      (no SACK: 01 01 08 0a ...)
//   SACK, no TS   01 01 04 02
//   WSCALE        01 03 03 ws
//
// The parser fills a struct the caller owns; nothing allocates.

import { rd16, rd32, wr16, wr32 } from './bytes.ts';
import type { ParsedFrame } from './parsed-frame.ts';
import { TCP_HLEN } from './tcp.ts';

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
/** TCP_MAX_WSCALE (include/net/tcp.h). */
export const TCP_MAX_WSCALE = 14;
/** The longest option block writeOptions makes: MSS 4 + SACK/TS 12 + WS 4. */
export const TCP_OPTS_MAX_BYTES = 20;

/** The handshake options of one segment; -1 / 0 where absent. */
export class TcpOptions {
  /** MSS option value, or 0 (RFC 9293: 536 then). */
  mss = 0;
  /** Window scale shift (clamped to 14 as the kernel does), or -1 without the option. */
  wscale = -1;
  sackOk = 0;
  /** 1 when a well-formed timestamp option was seen. */
  tsOk = 0;
  tsval = 0;
  tsecr = 0;
  /** Offset of the first SACK block option's kind byte, or -1. */
  sackOff = -1;
}

/** tcp_parse_options over f's TCP header; fills o. */
export function parseTcpOptions(buf: Uint8Array, f: ParsedFrame, o: TcpOptions): void {
  o.mss = 0;
  o.wscale = -1;
  o.sackOk = 0;
  o.tsOk = 0;
  o.tsval = 0;
  o.tsecr = 0;
  o.sackOff = -1;
  const end = f.l4Off + f.tcpHdrLen;
  let p = f.l4Off + TCP_HLEN;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) {
      p++;
      continue;
    }
    if (p + 2 > end) return;
    const len = buf[p + 1]!;
    if (len < 2 || p + len > end) return;
    if (kind === TCPOPT_MSS && len === 4) o.mss = rd16(buf, p + 2);
    else if (kind === TCPOPT_WINDOW && len === 3) o.wscale = Math.min(buf[p + 2]!, TCP_MAX_WSCALE);
    else if (kind === TCPOPT_SACK_PERM && len === 2) o.sackOk = 1;
    else if (kind === TCPOPT_TIMESTAMP && len === 10) {
      o.tsOk = 1;
      o.tsval = rd32(buf, p + 2);
      o.tsecr = rd32(buf, p + 6);
    } else if (kind === TCPOPT_SACK && len >= 10 && (len - 2) % 8 === 0 && o.sackOff < 0) o.sackOff = p;
    p += len;
  }
}

/**
 * Write a SYN / SYN-ACK option block at buf[at] as tcp_options_write lays it out; mss 0 = no MSS,
 * wscale -1 = no window scale, ts false = no timestamps. Returns its length (a multiple of 4).
 */
export function writeSynOptions(
  buf: Uint8Array,
  at: number,
  mss: number,
  sackOk: boolean,
  ts: boolean,
  tsval: number,
  tsecr: number,
  wscale: number,
): number {
  let p = at;
  if (mss > 0) {
    wr32(buf, p, ((TCPOPT_MSS << 24) | (4 << 16) | mss) >>> 0);
    p += 4;
  }
  if (ts) {
    buf[p] = sackOk ? TCPOPT_SACK_PERM : TCPOPT_NOP;
    buf[p + 1] = sackOk ? 2 : TCPOPT_NOP;
    buf[p + 2] = TCPOPT_TIMESTAMP;
    buf[p + 3] = 10;
    wr32(buf, p + 4, tsval);
    wr32(buf, p + 8, tsecr);
    p += 12;
  } else if (sackOk) {
    wr32(buf, p, ((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) | (TCPOPT_SACK_PERM << 8) | 2) >>> 0);
    p += 4;
  }
  if (wscale >= 0) {
    wr32(buf, p, ((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) | (3 << 8) | wscale) >>> 0);
    p += 4;
  }
  return p - at;
}

/** Write an ACK's timestamp option (01 01 08 0a TSval TSecr) at buf[at]; returns 12. */
export function writeTsOption(buf: Uint8Array, at: number, tsval: number, tsecr: number): number {
  wr16(buf, at, (TCPOPT_NOP << 8) | TCPOPT_NOP);
  buf[at + 2] = TCPOPT_TIMESTAMP;
  buf[at + 3] = 10;
  wr32(buf, at + 4, tsval);
  wr32(buf, at + 8, tsecr);
  return 12;
}
