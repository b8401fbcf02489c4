// SynproxyFamily: what the SYN proxy (synproxy.ts, synproxy-open.ts) does differently per address
// family, behind one small interface bound once per proxy, as the kernel binds its per-family
// handlers once (tcp_request_sock_ipv4_ops / tcp_request_sock_ipv6_ops: cookie_init_seq,
// send_synack): the cookie's hash input and MSS table, the IP header of the frames the proxy
// writes, scheduling the proven connection and sending the cookie SYN-ACK back. Everything else
// (options, timestamps, the pending handshakes, sequence translation) works on the TCP header
// alone and is shared. This file holds the interface and IPv4's (syncookies.c, build-tcp.ts,
// Xmit.toAddr); IPv6's is synproxy-family6.ts.

import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { COOKIE_MSS_TABLE, type SynCookies } from '../conn/syn-cookie.ts';
import { buildTcpHeaders, tcpOptionsAt, type TcpSegment } from '../packet/build-tcp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { TCP_SYN } from '../packet/tcp.ts';
import type { Xmit } from './xmit.ts';

/** build()'s addresses: the frame's, swapped (a reply to its sender). */
export const SP_ADDRS_REPLY = -1;
/** build()'s addresses: the frame's own (the SYN a client's ACK stands for). */
export const SP_ADDRS_SAME = -2;

export interface SynproxyFamily {
  /** The MSS values a cookie's 2-bit index stands for (msstab[] of the family's syncookies.c). */
  readonly mssTable: readonly number[];
  /** The MSS announced to clients by default: an Ethernet MTU of 1500 minus the IP and TCP headers. */
  readonly defaultMss: number;
  /** The cookie ISN for the SYN f (cookie_v4_init_sequence / cookie_v6_init_sequence). */
  cookieIsn(c: SynCookies, f: ParsedFrame, seq: number, mssind: number, nowMs: number): number;
  /** The MSS index of the cookie the ACK f proves, or -1 (__cookie_v4_check / __cookie_v6_check). */
  cookieCheck(c: SynCookies, f: ParsedFrame, seq: number, ack: number, nowMs: number): number;
  /** Schedule the connection of the proven ACK f: its id, or minus a drop reason (ip_vs_schedule). */
  schedule(svc: Service, inp: SchedInput, f: ParsedFrame): number;
  /** Offset from a frame's start of the TCP options build() expects, for the template tf. */
  optionsAt(tf: ParsedFrame): number;
  /**
   * Write the headers of segment s at out[off] (options already there, no payload), addresses per
   * `addrs`: SP_ADDRS_REPLY, SP_ADDRS_SAME, or a connection id (its client -> virtual address).
   * Returns the frame length.
   */
  build(
    out: Uint8Array,
    off: number,
    tpl: Uint8Array,
    tf: ParsedFrame,
    s: TcpSegment,
    addrs: number,
    optLen: number,
  ): number;
  /** Send the frame at out[off, off + len) to the sender of f (the client): DROP_NONE or a drop reason. */
  sendBack(out: Buffer, off: number, len: number, f: ParsedFrame): number;
}

/** IPv4: net/ipv4/syncookies.c's cookie and table, build-tcp.ts's headers, Xmit's routes. */
export class SynproxyFamily4 implements SynproxyFamily {
  readonly mssTable = COOKIE_MSS_TABLE;
  readonly defaultMss = 1460;

  constructor(
    private readonly conns: ConnManager,
    private readonly xmit: Xmit,
  ) {}

  cookieIsn(c: SynCookies, f: ParsedFrame, seq: number, mssind: number, nowMs: number): number {
    return c.isn(f.saddr, f.daddr, f.sport, f.dport, seq, mssind, nowMs);
  }

  cookieCheck(c: SynCookies, f: ParsedFrame, seq: number, ack: number, nowMs: number): number {
    return c.check(f.saddr, f.daddr, f.sport, f.dport, seq, ack, nowMs);
  }

  schedule(svc: Service, inp: SchedInput, _f: ParsedFrame): number {
    return this.conns.schedule(svc, inp, TCP_SYN);
  }

  optionsAt(tf: ParsedFrame): number {
    return tcpOptionsAt(tf);
  }

  build(
    out: Uint8Array,
    off: number,
    tpl: Uint8Array,
    tf: ParsedFrame,
    s: TcpSegment,
    addrs: number,
    optLen: number,
  ): number {
    if (addrs === SP_ADDRS_REPLY) {
      s.saddr = tf.daddr;
      s.daddr = tf.saddr;
    } else if (addrs === SP_ADDRS_SAME) {
      s.saddr = tf.saddr;
      s.daddr = tf.daddr;
    } else {
      const t = this.conns.table;
      s.saddr = t.caddr[addrs]!;
      s.daddr = t.vaddr[addrs]!;
    }
    return buildTcpHeaders(out, off, tpl, tf, s, optLen, 0);
  }

  sendBack(out: Buffer, off: number, len: number, f: ParsedFrame): number {
    return this.xmit.toAddr(out, off, len, 0, f.saddr);
  }
}
