// SYN proxy: the director answers a client's SYN itself with a SYN cookie, keeps no state until
// the client's ACK proves the cookie, then opens the connection to the real server and translates
// sequence numbers for the connection's life. DPVS's ip_vs_synproxy.c (syn_proxy_syn_rcv,
// syn_proxy_ack_rcv, syn_proxy_synack_rcv) on Linux's cookies (net/ipv4/syncookies.c, and the
// cookie SYN-ACK of tcp_conn_request() in net/ipv4/tcp_input.c); RFC 4987 section 3.6.
//
//   client            director                          real server
//   SYN       ─────▶  cookie SYN-ACK (no state)
//   ACK(+data) ────▶  cookie checked: connection made, ─▶ SYN (client's ISN and options)
//                     data kept (synproxy-pending.ts)  ◀─ SYN-ACK (server ISN): consumed,
//                                                      ─▶ ACK, then the kept data
//   then both ways:   seq/ack, SACK, timestamps, window translated (src/nat/seq-translate.ts)
//
// Modes per service (SVC_F_SYNPROXY_*): always, never, and auto (the default, synproxy-auto.ts).
// This file answers SYNs and checks cookies (syn_proxy_syn_rcv) and handles the segments of a
// proxied connection (syn_proxy_synack_rcv, translation); synproxy-open.ts makes the connection.
// One instance per address family (Pipeline's for IPv4, Pipeline6's for IPv6), each bound to its
// SynproxyFamily (synproxy-family.ts, synproxy-family6.ts) and its connection table, with the
// counters shared (SynproxyCounters).

import {
  DROP_NONE,
  DROP_SYNPROXY_BAD_COOKIE,
  DROP_SYNPROXY_BAD_RST,
  DROP_SYNPROXY_PENDING,
  DROP_TX_FULL,
} from '../lib/drops.ts';
import type { Service } from '../model/service.ts';
import { SVC_F_SYNPROXY_ALWAYS, SVC_F_SYNPROXY_NEVER } from '../model/synproxy-state.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { CONN_F_SP_PENDING } from '../conn/conn-flags.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { cookieMssIndex, cookieTsval, SynCookies } from '../conn/syn-cookie.ts';
import { rd16 } from '../packet/bytes.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_RST, TCP_SYN } from '../packet/tcp.ts';
import { parseTcpOptions, writeSynOptions, writeTsOption } from '../packet/tcp-options.ts';
import { synproxyTranslateIn, synproxyTranslateOut, tcpAckSeq, tcpSeq } from '../nat/seq-translate.ts';
import { SynproxyCounters, type SynproxyOptions } from './synproxy-auto.ts';
import { SP_ADDRS_REPLY, type SynproxyFamily } from './synproxy-family.ts';
import { SCRATCH_BYTES, SCRATCH_SLOTS, SP_ACK_READY, SP_CONTINUE, SynproxyOpen, WS_NONE } from './synproxy-open.ts';

/** MAX_SYNCOOKIE_AGE minutes: ACKs are checked as cookies this long after the service's last cookie. */
const COOKIE_LIFE_MS = 120_000;

export class SynProxy extends SynproxyOpen {
  readonly cookies: SynCookies;
  /** The kept data of the ready handshake (SP_ACK_READY): a SynproxyPending slot. */
  readySlot = -1;

  /** conns: the family's connections (ConnManager6.conns for IPv6); n: the counters to add to. */
  constructor(conns: ConnManager, fam: SynproxyFamily, opts: SynproxyOptions = {}, n = new SynproxyCounters()) {
    super(conns, fam, opts, n);
    this.cookies = new SynCookies(opts.cookieKey ?? null);
  }

  get cookiesSent(): number {
    return this.n.cookiesSent;
  }

  get cookiesFailed(): number {
    return this.n.cookiesFailed;
  }

  /**
   * A TCP segment for `svc` that matched no connection. A SYN while the proxy is active gets a
   * cookie SYN-ACK; an ACK while cookies may be out is checked as a cookie and opens the
   * connection (SP_OPENED). SP_CONTINUE leaves the segment to IPVS's path.
   */
  newSegment(buf: Buffer, f: ParsedFrame, rxFlags: number, svc: Service, inp: SchedInput, nowMs: number): number {
    const fl = f.tcpFlags;
    if ((fl & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      return this.active(svc, nowMs) ? this.sendCookie(buf, f, svc, nowMs) : SP_CONTINUE;
    }
    if ((fl & (TCP_SYN | TCP_ACK | TCP_RST)) !== TCP_ACK) return SP_CONTINUE;
    const st = svc.synproxy;
    if ((svc.flags & SVC_F_SYNPROXY_NEVER) !== 0) return SP_CONTINUE;
    if (
      (svc.flags & SVC_F_SYNPROXY_ALWAYS) === 0 &&
      (st.lastCookieMs < 0 || nowMs - st.lastCookieMs > COOKIE_LIFE_MS)
    ) {
      return SP_CONTINUE;
    }
    const seq = tcpSeq(buf, f);
    const ack = tcpAckSeq(buf, f);
    const mssind = this.fam.cookieCheck(this.cookies, f, seq, ack, nowMs);
    if (mssind < 0) {
      this.n.cookiesFailed++;
      return DROP_SYNPROXY_BAD_COOKIE;
    }
    return this.open(buf, f, rxFlags, svc, inp, seq, ack, mssind, nowMs);
  }

  /** The cookie SYN-ACK for a SYN (tcp_conn_request with want_cookie), sent back to the client. */
  private sendCookie(buf: Buffer, f: ParsedFrame, svc: Service, nowMs: number): number {
    if (this.used >= SCRATCH_SLOTS) return DROP_TX_FULL;
    const at = this.used++ * SCRATCH_BYTES;
    const o = this.o;
    parseTcpOptions(buf, f, o);
    const seq = tcpSeq(buf, f);
    // No MSS option: RFC 9293's default, 536 (IPv4) or 1220 (IPv6, RFC 8200 5: 1280 - 60).
    const mssind = cookieMssIndex(o.mss === 0 ? this.fam.mssTable[0]! : o.mss, this.fam.mssTable);
    const ecnOk = (f.tcpFlags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
    // Without timestamps a cookie cannot carry window scale and SACK: tcp_clear_options().
    const ts = o.tsOk !== 0;
    const tsval = ts ? cookieTsval(nowMs, o.wscale, o.sackOk !== 0, ecnOk) : 0;
    const s = this.seg;
    s.sport = f.dport;
    s.dport = f.sport;
    s.seq = this.fam.cookieIsn(this.cookies, f, seq, mssind, nowMs);
    s.ack = (seq + 1) >>> 0;
    s.flags = TCP_SYN | TCP_ACK | (ecnOk && ts ? TCP_ECE : 0);
    s.window = 65535;
    s.ipId = 0;
    s.tos = 0;
    const optLen = writeSynOptions(
      this.out,
      at + this.fam.optionsAt(f),
      this.mss,
      ts && o.sackOk !== 0,
      ts,
      tsval,
      o.tsval,
      ts && o.wscale >= 0 ? this.wscale : -1,
    );
    const len = this.fam.build(this.out, at, buf, f, s, SP_ADDRS_REPLY, optLen);
    this.n.cookiesSent++;
    svc.synproxy.windowCookies++;
    svc.synproxy.lastCookieMs = nowMs;
    return this.fam.sendBack(this.out, at, len, f);
  }

  /**
   * A client segment of a proxied connection. While the server's SYN-ACK is awaited, the first
   * data segment is kept and the rest dropped; afterwards an RST must fall in the real server's
   * receive window as the server last advertised it, and the segment is translated into the
   * server's numbering. Returns SP_CONTINUE or a verdict.
   *
   * The window is the one tcp_validate_incoming() checks an RST against before anything else
   * (net/ipv4/tcp_input.c, tcp_sequence()): !before(end_seq, rcv_wup) and
   * !after(seq, rcv_wup + rcv_wnd), rcv_wup being the RCV.NXT of the server's last window
   * update, i.e. its highest ACK, and rcv_wnd its window then. What the server drops there the
   * director drops too; what passes it (an exact RST resets, any other gets a challenge ACK, RFC
   * 5961 3.2) is the server's to judge. The left edge is the server's ACK, not the client's
   * highest sequence: a client without the socket answers a server segment with an RST at that
   * segment's ACK (RFC 793, reset generation), which is behind the client's FIN or data still in
   * flight to the server, and in the server's window.
   */
  clientSegment(buf: Buffer, f: ParsedFrame, rxFlags: number, id: number): number {
    const t = this.conns.table;
    if ((t.flags[id]! & CONN_F_SP_PENDING) !== 0) {
      if (f.payloadLen > 0 && this.keep(buf, f, rxFlags, t.spSeqDelta[id]!)) return DROP_NONE;
      return DROP_SYNPROXY_PENDING;
    }
    if ((f.tcpFlags & TCP_RST) !== 0) {
      const seq = tcpSeq(buf, f);
      const wup = t.spSrvAck[id]!;
      // At least 64 KiB: the window before the server's first advertisement after the SYN-ACK.
      const win = t.spSrvWin[id]! > 0xffff ? t.spSrvWin[id]! : 0xffff;
      if (((seq + f.payloadLen - wup) | 0) < 0 || ((seq - wup) | 0) > win) return DROP_SYNPROXY_BAD_RST;
    }
    synproxyTranslateIn(buf, f, t.spSeqDelta[id]!, t.spTsDelta[id]!);
    return SP_CONTINUE;
  }

  /**
   * A real-server segment of a proxied connection. The SYN-ACK that completes the server side
   * fixes the deltas and is answered with an ACK (SP_ACK_READY); an RST while pending is moved
   * into the client's numbering and passed on; later segments are translated (SP_CONTINUE).
   */
  serverSegment(buf: Buffer, f: ParsedFrame, id: number): number {
    const t = this.conns.table;
    const fl = f.tcpFlags;
    if ((t.flags[id]! & CONN_F_SP_PENDING) === 0) {
      const ws = t.spWscale[id]!;
      const wsS = ws >>> 4;
      if ((fl & TCP_SYN) === 0) t.spSrvWin[id] = rd16(buf, f.l4Off + 14) * 2 ** (wsS === WS_NONE ? 0 : wsS);
      if ((fl & TCP_ACK) !== 0) {
        const ack = tcpAckSeq(buf, f);
        if (((ack - t.spSrvAck[id]!) | 0) > 0) t.spSrvAck[id] = ack;
      }
      synproxyTranslateOut(
        buf,
        f,
        t.spSeqDelta[id]!,
        t.spTsDelta[id]!,
        wsS === WS_NONE ? -1 : wsS,
        (ws & 15) === WS_NONE ? -1 : ws & 15,
      );
      return SP_CONTINUE;
    }
    const slot = t.spSeqDelta[id]!;
    const p = this.pending;
    const seq = tcpSeq(buf, f);
    if ((fl & TCP_RST) !== 0) {
      // The server refused: the client gets the RST at the sequence number it expects.
      t.spSeqDelta[id] = (p.cookieIsn[slot]! + 1 - seq) | 0;
      t.flags[id] = t.flags[id]! & ~CONN_F_SP_PENDING;
      p.release(slot);
      synproxyTranslateOut(buf, f, t.spSeqDelta[id]!, 0, -1, -1);
      return SP_CONTINUE;
    }
    if ((fl & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK) || tcpAckSeq(buf, f) !== (p.clientIsn[slot]! + 1) >>> 0) {
      return DROP_SYNPROXY_PENDING;
    }
    if (this.used >= SCRATCH_SLOTS) return DROP_TX_FULL;
    const o = this.o;
    parseTcpOptions(buf, f, o);
    const ts = p.tsOk[slot] !== 0 && o.tsOk !== 0;
    t.spSeqDelta[id] = (p.cookieIsn[slot]! - seq) | 0;
    t.spTsDelta[id] = ts ? (p.cookieTs[slot]! - o.tsval) | 0 : 0;
    t.spWscale[id] = ((o.wscale >= 0 ? o.wscale : WS_NONE) << 4) | (t.spWscale[id]! & 15);
    t.spSrvWin[id] = rd16(buf, f.l4Off + 14);
    t.flags[id] = t.flags[id]! & ~CONN_F_SP_PENDING;
    // The handshake's last ACK as the client would send it (client numbering); the pipeline
    // translates and forwards it like any client segment, then the kept data.
    const at = this.used++ * SCRATCH_BYTES;
    const s = this.seg;
    s.sport = t.cport[id]!;
    s.dport = t.vport[id]!;
    s.seq = (p.clientIsn[slot]! + 1) >>> 0;
    s.ack = (p.cookieIsn[slot]! + 1) >>> 0;
    s.flags = TCP_ACK;
    s.window = p.clientWin[slot]!;
    s.ipId = 0;
    s.tos = 0;
    const optLen = ts ? writeTsOption(this.out, at + this.fam.optionsAt(f), p.clientTs[slot]!, p.cookieTs[slot]!) : 0;
    this.outLen = this.fam.build(this.out, at, buf, f, s, id, optLen);
    this.outOff = at;
    this.readySlot = slot;
    return SP_ACK_READY;
  }

  /** The counters (both families'), with the handshakes pending in this proxy and in `other`'s. */
  stats(other: SynProxy | null = null): Record<string, number> {
    return {
      cookiesSent: this.cookiesSent,
      cookiesValidated: this.cookiesValidated,
      cookiesFailed: this.cookiesFailed,
      segmentsKept: this.segmentsKept,
      pendingHandshakes: this.pending.inUse + (other !== null && other !== this ? other.pending.inUse : 0),
      engagedServices: this.engagements - this.disengagements,
      engagements: this.engagements,
      svcThreshold: this.svcThreshold,
      globalThreshold: this.globalThreshold,
    };
  }
}
