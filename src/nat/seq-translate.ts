// SYN proxy sequence translation for the life of a connection: the client saw the director's
// cookie ISN and cookie timestamp, the real server answered with its own; every later segment
// is moved between the two numbering spaces (DPVS dp_vs_synproxy_dnat_handler /
// dp_vs_synproxy_snat_handler; Linux's nf_synproxy_core.c synproxy_tstamp_adjust and the
// nf_ct_seqadj of nf_conntrack_seqadj.c do the same for netfilter's SYNPROXY target).
//
//   client -> server (in):  ack -= seqDelta; SACK edges -= seqDelta; TSecr -= tsDelta
//   server -> client (out): seq += seqDelta; TSval += tsDelta; window rescaled when the window
//                           scale the director gave the client differs from the server's
//   seqDelta = cookie ISN - server ISN, tsDelta = cookie TSval - server TSval (mod 2^32)
//
// The client's own sequence numbers and timestamps pass unchanged (the real server got the
// client's ISN in the director's SYN), so the server's SACK blocks need nothing. Checksums are
// kept with RFC 1624 updates (addToTcpWord); a partial checksum does not cover the header yet.

import { rd16, rd32, wr16 } from '../packet/bytes.ts';
import { csumReplace2 } from '../packet/checksum.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { TCP_ACK, TCP_HLEN } from '../packet/tcp.ts';
import { TCPOPT_EOL, TCPOPT_NOP, TCPOPT_SACK, TCPOPT_TIMESTAMP } from '../packet/tcp-options.ts';
import { addToTcpWord } from './tcp-timestamp.ts';

/** Client -> real server: ack, SACK blocks and TSecr into the server's numbering. */
export function synproxyTranslateIn(buf: Uint8Array, f: ParsedFrame, seqDelta: number, tsDelta: number): void {
  if ((f.tcpFlags & TCP_ACK) === 0) return;
  const neg = -seqDelta | 0;
  if (seqDelta !== 0) addToTcpWord(buf, f, f.l4Off + 8, neg);
  if (f.tcpHdrLen <= TCP_HLEN) return;
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
    if (kind === TCPOPT_SACK && seqDelta !== 0) {
      // Each block is <left edge, right edge>, 8 bytes; a malformed length stops at the last whole word.
      for (let w = p + 2; w + 4 <= p + len; w += 4) addToTcpWord(buf, f, w, neg);
    } else if (kind === TCPOPT_TIMESTAMP && len === 10 && tsDelta !== 0) {
      addToTcpWord(buf, f, p + 6, -tsDelta | 0);
    }
    p += len;
  }
}

/**
 * Real server -> client: seq and TSval into the client's numbering, and the window from the
 * server's scale (wsServer) to the one the client was given (wsClient); -1 = no scaling.
 */
export function synproxyTranslateOut(
  buf: Uint8Array,
  f: ParsedFrame,
  seqDelta: number,
  tsDelta: number,
  wsServer: number,
  wsClient: number,
): void {
  if (seqDelta !== 0) addToTcpWord(buf, f, f.l4Off + 4, seqDelta);
  if (tsDelta !== 0 && f.tcpHdrLen > TCP_HLEN) {
    const end = f.l4Off + f.tcpHdrLen;
    let p = f.l4Off + TCP_HLEN;
    while (p < end) {
      const kind = buf[p]!;
      if (kind === TCPOPT_EOL) break;
      if (kind === TCPOPT_NOP) {
        p++;
        continue;
      }
      if (p + 2 > end) break;
      const len = buf[p + 1]!;
      if (len < 2 || p + len > end) break;
      if (kind === TCPOPT_TIMESTAMP && len === 10) {
        addToTcpWord(buf, f, p + 2, tsDelta);
        break;
      }
      p += len;
    }
  }
  if (wsServer !== wsClient) rescaleWindow(buf, f, wsServer < 0 ? 0 : wsServer, wsClient < 0 ? 0 : wsClient);
}

/** The window field as the client must read it: (w << from) >> to, at most 65535. */
function rescaleWindow(buf: Uint8Array, f: ParsedFrame, from: number, to: number): void {
  const at = f.l4Off + 14;
  const w = rd16(buf, at);
  const bytes = w * 2 ** from;
  let nw = Math.floor(bytes / 2 ** to);
  if (nw > 0xffff) nw = 0xffff;
  if (nw === w) return;
  wr16(buf, at, nw);
  if (f.csumPartial === 0) wr16(buf, f.l4CsumOff, csumReplace2(rd16(buf, f.l4CsumOff), w, nw));
}

/** The segment's sequence number (read by the RST check). */
export function tcpSeq(buf: Uint8Array, f: ParsedFrame): number {
  return rd32(buf, f.l4Off + 4);
}

/** The segment's acknowledgment number. */
export function tcpAckSeq(buf: Uint8Array, f: ParsedFrame): number {
  return rd32(buf, f.l4Off + 8);
}
