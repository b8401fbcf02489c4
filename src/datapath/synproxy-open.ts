// SynproxyOpen: the SYN proxy's side of a proven cookie, DPVS's syn_proxy_ack_rcv
// (ip_vs_synproxy.c): the connection is scheduled and made, the client's data kept until the
// real server answers (synproxy-pending.ts), and the SYN the client would have sent is written
// toward the real server. Also the per-batch scratch slots every frame the proxy makes is
// written into (nothing allocates per packet) and the proxy's verdict codes. SynProxy
// (synproxy.ts) extends it; the address family's parts are a SynproxyFamily (synproxy-family.ts).

import { DROP_SYNPROXY_PENDING, DROP_TX_FULL } from '../lib/drops.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { CONN_F_LIVE, CONN_F_SP_PENDING, CONN_F_SYNPROXY } from '../conn/conn-flags.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { TS_OPT_ECN, TS_OPT_SACK } from '../conn/syn-cookie.ts';
import { rd16 } from '../packet/bytes.ts';
import { TcpSegment } from '../packet/build-tcp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_GSO, RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { TCP_CWR, TCP_ECE, TCP_FIN, TCP_SYN } from '../packet/tcp.ts';
import { parseTcpOptions, TcpOptions, writeSynOptions } from '../packet/tcp-options.ts';
import { SynproxyPending } from './synproxy-pending.ts';
import { SynproxyAuto, type SynproxyCounters, type SynproxyOptions } from './synproxy-auto.ts';
import { SP_ADDRS_SAME, type SynproxyFamily } from './synproxy-family.ts';

/** Returned when the pipeline goes on with the packet (translated, or not the proxy's). */
export const SP_CONTINUE = -1;
/** A validated cookie made connection openedId; the SYN toward the real server is at out. */
export const SP_OPENED = -2;
/** The real server's SYN-ACK was consumed; the ACK toward it is at out, then the kept data of readySlot. */
export const SP_ACK_READY = -3;

/** Frames the proxy may make in one batch; one more is a DROP_TX_FULL. */
export const SCRATCH_SLOTS = 512;
/** Bytes of one scratch slot: Ethernet + 802.1Q + IPv6 (or IPv4) + TCP with SYN options, with room. */
export const SCRATCH_BYTES = 128;
/** A window scale nibble meaning "no window scaling". */
export const WS_NONE = 15;

export class SynproxyOpen extends SynproxyAuto {
  readonly pending = new SynproxyPending();
  mss: number;
  wscale: number;
  /** The frame of SP_OPENED / SP_ACK_READY. */
  readonly out = Buffer.alloc(SCRATCH_SLOTS * SCRATCH_BYTES);
  outOff = 0;
  outLen = 0;
  openedId = -1;
  /** Scratch slots of out used in this batch. */
  protected used = 0;
  protected readonly o = new TcpOptions();
  protected readonly seg = new TcpSegment();
  private readonly stale: (connId: number, slot: number) => boolean;

  constructor(
    conns: ConnManager,
    protected readonly fam: SynproxyFamily,
    opts: SynproxyOptions,
    n: SynproxyCounters,
  ) {
    super(conns, opts, n);
    this.mss = opts.mss ?? fam.defaultMss;
    this.wscale = opts.wscale ?? 7;
    const t = conns.table;
    this.stale = (id, slot) =>
      id < 0 ||
      (t.flags[id]! & (CONN_F_LIVE | CONN_F_SP_PENDING)) !== (CONN_F_LIVE | CONN_F_SP_PENDING) ||
      t.spSeqDelta[id] !== slot;
  }

  get cookiesValidated(): number {
    return this.n.cookiesValidated;
  }

  get segmentsKept(): number {
    return this.n.segmentsKept;
  }

  startBatch(): void {
    this.used = 0;
    this.pending.startBatch();
  }

  /** A proven cookie: make the connection, keep the data, write the SYN toward the real server. */
  protected open(
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
    const id = this.fam.schedule(svc, inp, f);
    if (id < 0) return -id;
    const slot = this.pending.alloc(id, nowMs, this.stale);
    if (slot < 0) {
      this.conns.deleteConn(id, nowMs);
      return DROP_SYNPROXY_PENDING;
    }
    this.n.cookiesValidated++;
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
    s.sport = f.sport;
    s.dport = f.dport;
    s.seq = p.clientIsn[slot]!;
    s.ack = 0;
    s.flags = TCP_SYN | (ecn ? TCP_ECE | TCP_CWR : 0);
    s.window = Math.min(0xffff, p.clientWin[slot]! * 2 ** (ws < 0 ? 0 : ws));
    s.ipId = f.ipId; // the client's ACK becomes the SYN it stands for (IPv4)
    s.tos = f.ipTos;
    const optLen = writeSynOptions(
      this.out,
      at + this.fam.optionsAt(f),
      this.fam.mssTable[mssind]!,
      sack,
      o.tsOk !== 0,
      o.tsval,
      0,
      ws,
    );
    this.outLen = this.fam.build(this.out, at, buf, f, s, SP_ADDRS_SAME, optLen);
    this.outOff = at;
    this.openedId = id;
    return SP_OPENED;
  }

  protected keep(buf: Buffer, f: ParsedFrame, rxFlags: number, slot: number): boolean {
    if ((rxFlags & RXF_GSO) !== 0) return false;
    if (!this.pending.keep(slot, buf, f.frameOff, f.frameLen, rxFlags, (rxFlags & RXF_VNET_HDR) !== 0)) return false;
    this.n.segmentsKept++;
    return true;
  }
}
