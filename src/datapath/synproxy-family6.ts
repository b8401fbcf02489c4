// SynproxyFamily6: the SYN proxy's IPv6 parts (synproxy-family.ts has the interface and IPv4's).
// The cookie hashes the 128-bit addresses as cookie_hash() of net/ipv6/syncookies.c does, with
// its msstab (1280, 1480, 1500 and 9000 minus 60, RFC 2460 8.3) and the announced MSS of an
// Ethernet MTU 1500 - 60; the frames get an IPv6 header whose TCP checksum covers the IPv6
// pseudo-header (build-tcp6.ts); the proven connection is scheduled through ConnManager6, which
// fills the connection's 128-bit columns; the cookie SYN-ACK goes back through Xmit6's routes
// and neighbours. No allocation per packet.

import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import type { ConnManager6 } from '../conn/conn-manager6.ts';
import { COOKIE_MSS_TABLE6, type SynCookies } from '../conn/syn-cookie.ts';
import type { TcpSegment } from '../packet/build-tcp.ts';
import { buildTcp6Headers, tcp6OptionsAt } from '../packet/build-tcp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { TCP_SYN } from '../packet/tcp.ts';
import { SP_ADDRS_REPLY, SP_ADDRS_SAME, type SynproxyFamily } from './synproxy-family.ts';
import type { Xmit6 } from './xmit6.ts';

export class SynproxyFamily6 implements SynproxyFamily {
  readonly mssTable = COOKIE_MSS_TABLE6;
  readonly defaultMss = 1440;

  constructor(
    private readonly cm: ConnManager6,
    private readonly x6: Xmit6,
  ) {}

  cookieIsn(c: SynCookies, f: ParsedFrame, seq: number, mssind: number, nowMs: number): number {
    return c.isn6(f.saddr6, f.daddr6, f.sport, f.dport, seq, mssind, nowMs);
  }

  cookieCheck(c: SynCookies, f: ParsedFrame, seq: number, ack: number, nowMs: number): number {
    return c.check6(f.saddr6, f.daddr6, f.sport, f.dport, seq, ack, nowMs);
  }

  schedule(svc: Service, inp: SchedInput, f: ParsedFrame): number {
    return this.cm.schedule(svc, inp, TCP_SYN, f.saddr6, f.daddr6);
  }

  optionsAt(tf: ParsedFrame): number {
    return tcp6OptionsAt(tf);
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
    if (addrs === SP_ADDRS_REPLY) return buildTcp6Headers(out, off, tpl, tf, s, tf.daddr6, 0, tf.saddr6, 0, optLen, 0);
    if (addrs === SP_ADDRS_SAME) return buildTcp6Headers(out, off, tpl, tf, s, tf.saddr6, 0, tf.daddr6, 0, optLen, 0);
    const t6 = this.cm.t6;
    return buildTcp6Headers(out, off, tpl, tf, s, t6.caddr6, addrs << 2, t6.vaddr6, addrs << 2, optLen, 0);
  }

  sendBack(out: Buffer, off: number, len: number, f: ParsedFrame): number {
    return this.x6.toAddr6(out, off, len, 0, f.saddr6, 0);
  }
}
