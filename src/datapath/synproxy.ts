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
// Modes per service (SVC_F_SYNPROXY_*): always, never, and auto (the default), which engages
// only while the service's (or the table's) embryonic entries stand a threshold above their
// floor, like tcp_syncookies=1, so that without a flood the packet flow is exactly IPVS's.
// Frames the director makes are written into per-batch scratch slots; nothing allocates per packet.

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
import { CONN_F_LIVE, CONN_F_SP_PENDING, CONN_F_SYNPROXY } from '../conn/conn-flags.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import {
  COOKIE_MSS_TABLE,
  cookieMssIndex,
  cookieTsval,
  SynCookies,
  TS_OPT_ECN,
  TS_OPT_SACK,
} from '../conn/syn-cookie.ts';
import { rd16 } from '../packet/bytes.ts';
import { buildTcpHeaders, tcpOptionsAt, TcpSegment } from '../packet/build-tcp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_GSO, RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/tcp.ts';
import { parseTcpOptions, TcpOptions, writeSynOptions, writeTsOption } from '../packet/tcp-options.ts';
import { synproxyTranslateIn, synproxyTranslateOut, tcpAckSeq, tcpSeq } from '../nat/seq-translate.ts';
import { SynproxyPending } from './synproxy-pending.ts';
import type { Xmit } from './xmit.ts';

/** Returned when the pipeline goes on with the packet (translated, or not the proxy's). */
export const SP_CONTINUE = -1;
/** A validated cookie made connection openedId; the SYN toward the real server is at out. */
export const SP_OPENED = -2;
/** The real server's SYN-ACK was consumed; the ACK toward it is at out, then the kept data of readySlot. */
export const SP_ACK_READY = -3;

const SCRATCH_SLOTS = 512;
const SCRATCH_BYTES = 128;
/** MAX_SYNCOOKIE_AGE minutes: ACKs are checked as cookies this long after the service's last cookie. */
const COOKIE_LIFE_MS = 120_000;
const WS_NONE = 15;
const AUTO_WINDOW_MS = 1000;

export interface SynproxyOptions {
  /** Embryonic entries of one service above its floor that engage the automatic mode. */
  svcThreshold?: number;
  /** Embryonic entries of the whole table above its floor that engage it for every auto service. */
  globalThreshold?: number;
  /** The MSS the director announces to clients (the VIP side's MTU - 40). */
  mss?: number;
  /** The window scale the director announces to clients (Linux's for a 6 MiB tcp_rmem: 7). */
  wscale?: number;
  /** Fixed cookie keys, for golden tests. */
  cookieKey?: Uint32Array;
}

export class SynProxy {
  readonly cookies: SynCookies;
  readonly pending = new SynproxyPending();
  svcThreshold: number;
  globalThreshold: number;
  mss: number;
  wscale: number;
  cookiesSent = 0;
  cookiesValidated = 0;
  cookiesFailed = 0;
  /** Client segments kept while the real server's SYN-ACK was awaited. */
  segmentsKept = 0;
  /** Services whose automatic mode engaged / disengaged. */
  engagements = 0;
  disengagements = 0;
  /** The frame of SP_OPENED / SP_ACK_READY. */
  readonly out = Buffer.alloc(SCRATCH_SLOTS * SCRATCH_BYTES);
  outOff = 0;
  outLen = 0;
  openedId = -1;
  readySlot = -1;
  private used = 0;
  private globalFloor = 0;
  /** Services in auto mode that are engaged now. */
  private readonly engaged: Service[] = [];
  private readonly o = new TcpOptions();
  private readonly seg = new TcpSegment();
  private readonly stale: (connId: number, slot: number) => boolean;

  constructor(
    private readonly conns: ConnManager,
    private readonly xmit: Xmit,
    opts: SynproxyOptions = {},
  ) {
    this.cookies = new SynCookies(opts.cookieKey ?? null);
    this.svcThreshold = opts.svcThreshold ?? 256;
    this.globalThreshold = opts.globalThreshold ?? 1024;
    this.mss = opts.mss ?? 1460;
    this.wscale = opts.wscale ?? 7;
    const t = conns.table;
    this.stale = (id, slot) =>
      id < 0 ||
      (t.flags[id]! & (CONN_F_LIVE | CONN_F_SP_PENDING)) !== (CONN_F_LIVE | CONN_F_SP_PENDING) ||
      t.spSeqDelta[id] !== slot;
  }

  startBatch(): void {
    this.used = 0;
    this.pending.startBatch();
  }

  /** Whether the service's SYNs get cookies now (auto: engage / disengage, see synproxy-state.ts). */
  active(svc: Service, nowMs: number): boolean {
    const flags = svc.flags;
    if (flags & SVC_F_SYNPROXY_ALWAYS) return true;
    if (flags & SVC_F_SYNPROXY_NEVER) return false;
    const st = svc.synproxy;
    if (st.engaged && this.stillEngaged(svc, nowMs)) return true;
    const global = this.conns.table.embryonic.count;
    if (svc.embryonic < st.floor) st.floor = svc.embryonic;
    if (global < this.globalFloor) this.globalFloor = global;
    if (svc.embryonic - st.floor < this.svcThreshold && global - this.globalFloor < this.globalThreshold) return false;
    st.engaged = true;
    st.windowStartMs = nowMs;
    st.windowCookies = 0;
    st.windowValidated = 0;
    this.engagements++;
    this.engaged.push(svc); // once per engagement, not per packet
    return true;
  }

  /**
   * An engaged service at the end of each one-second window: it stays engaged while at least
   * svcThreshold of the window's cookies went unanswered, else it disengages and its floors move
   * to the entries the flood left behind.
   */
  private stillEngaged(svc: Service, nowMs: number): boolean {
    const st = svc.synproxy;
    if (nowMs - st.windowStartMs < AUTO_WINDOW_MS) return true;
    if (st.windowCookies - st.windowValidated >= this.svcThreshold) {
      st.windowStartMs = nowMs;
      st.windowCookies = 0;
      st.windowValidated = 0;
      return true;
    }
    st.engaged = false;
    st.floor = svc.embryonic;
    this.globalFloor = this.conns.table.embryonic.count;
    this.disengagements++;
    const i = this.engaged.indexOf(svc);
    if (i >= 0) this.engaged.splice(i, 1);
    return false;
  }

  /** Once a second (the engine's defence timer): end the engagement of services whose flood stopped. */
  tick(nowMs: number): void {
    for (let i = this.engaged.length - 1; i >= 0; i--) {
      const svc = this.engaged[i]!;
      if (svc.synproxy.engaged) this.stillEngaged(svc, nowMs);
    }
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
    const mssind = this.cookies.check(f.saddr, f.daddr, f.sport, f.dport, seq, ack, nowMs);
    if (mssind < 0) {
      this.cookiesFailed++;
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
    const mssind = cookieMssIndex(o.mss === 0 ? 536 : o.mss);
    const ecnOk = (f.tcpFlags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
    // Without timestamps a cookie cannot carry window scale and SACK: tcp_clear_options().
    const ts = o.tsOk !== 0;
    const tsval = ts ? cookieTsval(nowMs, o.wscale, o.sackOk !== 0, ecnOk) : 0;
    const s = this.seg;
    s.saddr = f.daddr;
    s.daddr = f.saddr;
    s.sport = f.dport;
    s.dport = f.sport;
    s.seq = this.cookies.isn(f.saddr, f.daddr, f.sport, f.dport, seq, mssind, nowMs);
    s.ack = (seq + 1) >>> 0;
    s.flags = TCP_SYN | TCP_ACK | (ecnOk && ts ? TCP_ECE : 0);
    s.window = 65535;
    s.ipId = 0;
    s.tos = 0;
    const optLen = writeSynOptions(
      this.out,
      at + tcpOptionsAt(f),
      this.mss,
      ts && o.sackOk !== 0,
      ts,
      tsval,
      o.tsval,
      ts && o.wscale >= 0 ? this.wscale : -1,
    );
    const len = buildTcpHeaders(this.out, at, buf, f, s, optLen, 0);
    this.cookiesSent++;
    svc.synproxy.windowCookies++;
    svc.synproxy.lastCookieMs = nowMs;
    return this.xmit.toAddr(this.out, at, len, 0, f.saddr);
  }

  /** A proven cookie: make the connection, keep the data, write the SYN toward the real server. */
  private open(
    buf: Buffer,
    f: ParsedFrame,
    rxFlags: number,
    svc: Service,
    inp: SchedInput,
    seq: number,
    ack: number,
    mssind: number,
    nowMs: number,
  ): number {
    if (this.used >= SCRATCH_SLOTS) return DROP_TX_FULL;
    const o = this.o;
    parseTcpOptions(buf, f, o);
    let ws = -1;
    let sack = false;
    let ecn = false;
    if (o.tsOk !== 0) {
      // cookie_timestamp_decode: the echoed TSval's low bits hold the client's options.
      const opt = o.tsecr & 0x3f;
      sack = (opt & TS_OPT_SACK) !== 0;
      ecn = (opt & TS_OPT_ECN) !== 0;
      if ((opt & 0xf) !== WS_NONE) ws = opt & 0xf;
    }
    const id = this.conns.schedule(svc, inp, TCP_SYN);
    if (id < 0) return -id;
    const slot = this.pending.alloc(id, nowMs, this.stale);
    if (slot < 0) {
      this.conns.deleteConn(id, nowMs);
      return DROP_SYNPROXY_PENDING;
    }
    this.cookiesValidated++;
    svc.synproxy.windowValidated++;
    const t = this.conns.table;
    t.flags[id] = t.flags[id]! | CONN_F_SYNPROXY | CONN_F_SP_PENDING;
    t.spSeqDelta[id] = slot;
    t.spTsDelta[id] = 0;
    t.spWscale[id] = (WS_NONE << 4) | (ws >= 0 ? this.wscale : WS_NONE);
    // The server's RCV.NXT once it has the replayed handshake: this ACK's sequence number.
    t.spSrvAck[id] = seq >>> 0;
    t.spSrvWin[id] = 0;
    const p = this.pending;
    p.cookieIsn[slot] = (ack - 1) >>> 0;
    p.clientIsn[slot] = (seq - 1) >>> 0;
    p.tsOk[slot] = o.tsOk;
    p.cookieTs[slot] = o.tsecr;
    p.clientTs[slot] = o.tsval;
    p.clientWin[slot] = rd16(buf, f.l4Off + 14);
    if (f.payloadLen > 0 || (f.tcpFlags & TCP_FIN) !== 0) this.keep(buf, f, rxFlags, slot);
    // The SYN the client would have sent, toward the VIP: the pipeline forwards it as a new connection.
    const at = this.used++ * SCRATCH_BYTES;
    const s = this.seg;
    s.saddr = f.saddr;
    s.daddr = f.daddr;
    s.sport = f.sport;
    s.dport = f.dport;
    s.seq = p.clientIsn[slot]!;
    s.ack = 0;
    s.flags = TCP_SYN | (ecn ? TCP_ECE | TCP_CWR : 0);
    s.window = Math.min(0xffff, p.clientWin[slot]! * 2 ** (ws < 0 ? 0 : ws));
    s.ipId = f.ipId; // the client's ACK becomes the SYN it stands for
    s.tos = f.ipTos;
    const optLen = writeSynOptions(
      this.out,
      at + tcpOptionsAt(f),
      COOKIE_MSS_TABLE[mssind]!,
      sack,
      o.tsOk !== 0,
      o.tsval,
      0,
      ws,
    );
    this.outLen = buildTcpHeaders(this.out, at, buf, f, s, optLen, 0);
    this.outOff = at;
    this.openedId = id;
    return SP_OPENED;
  }

  private keep(buf: Buffer, f: ParsedFrame, rxFlags: number, slot: number): boolean {
    if ((rxFlags & RXF_GSO) !== 0) return false;
    if (!this.pending.keep(slot, buf, f.frameOff, f.frameLen, rxFlags, (rxFlags & RXF_VNET_HDR) !== 0)) return false;
    this.segmentsKept++;
    return true;
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
    s.saddr = t.caddr[id]!;
    s.daddr = t.vaddr[id]!;
    s.sport = t.cport[id]!;
    s.dport = t.vport[id]!;
    s.seq = (p.clientIsn[slot]! + 1) >>> 0;
    s.ack = (p.cookieIsn[slot]! + 1) >>> 0;
    s.flags = TCP_ACK;
    s.window = p.clientWin[slot]!;
    s.ipId = 0;
    s.tos = 0;
    const optLen = ts ? writeTsOption(this.out, at + tcpOptionsAt(f), p.clientTs[slot]!, p.cookieTs[slot]!) : 0;
    this.outLen = buildTcpHeaders(this.out, at, buf, f, s, optLen, 0);
    this.outOff = at;
    this.readySlot = slot;
    return SP_ACK_READY;
  }

  stats(): Record<string, number> {
    return {
      cookiesSent: this.cookiesSent,
      cookiesValidated: this.cookiesValidated,
      cookiesFailed: this.cookiesFailed,
      segmentsKept: this.segmentsKept,
      pendingHandshakes: this.pending.inUse,
      engagedServices: this.engagements - this.disengagements,
      engagements: this.engagements,
      svcThreshold: this.svcThreshold,
      globalThreshold: this.globalThreshold,
    };
  }
}
