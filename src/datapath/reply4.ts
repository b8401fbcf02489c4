// Reply4: the IPv4 reply path, ip_vs_out() (ip_vs_core.c) for a packet of a known connection
// coming back from its real server, to the client's address (classic NAT: the real servers route
// through the director) or to a full-NAT local address. handle_response() rewrites the source back
// to VIP:vport (full NAT: both ends, back to VIP:vport -> client:cport, and the timestamps back to
// the client's clock), the TTL is decremented as ip_forward() does, and the frame is routed toward
// the client. A proxied connection's SYN-ACK ends the SYN proxy's handshake with the server first
// (synproxy-steps.ts). Pipeline (pipeline.ts) finds the connection and calls packet().
// Per packet: no allocation.

import { DROP_TTL_EXCEEDED } from '../lib/drops.ts';
import { IPPROTO_TCP } from '../lib/inet.ts';
import { FWD_FULLNAT } from '../model/dest.ts';
import { CONN_F_FWD_MASK, CONN_F_SYNPROXY } from '../conn/conn-flags.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { DIR_OUTPUT } from '../conn/direction.ts';
import { decTtl, rewriteSource } from '../nat/rewrite.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import type { FullNat4 } from './fullnat4.ts';
import type { PathCounters } from './icmp6-frames.ts';
import { SP_ACK_READY, SP_CONTINUE } from './synproxy-open.ts';
import { type ClientForward, synproxyHandshakeDone } from './synproxy-steps.ts';
import { TR_F_FULLNAT, TR_OUT, type TraceRing } from './trace.ts';
import type { Xmit } from './xmit.ts';

export class Reply4 {
  constructor(
    private readonly conns: ConnManager,
    private readonly fnat: FullNat4,
    private readonly xmit: Xmit,
    private readonly trace: TraceRing,
    private readonly n: PathCounters,
    /** The client path (Pipeline.forwardIn), for the SYN proxy's handshake completion. */
    private readonly fwdIn: ClientForward,
  ) {}

  /** Real server -> client (or -> full-NAT local address) of connection id: rewrite back, send. */
  packet(buf: Buffer, f: ParsedFrame, flags: number, id: number, nowMs: number): number {
    const conns = this.conns;
    const t = conns.table;
    if ((t.flags[id]! & CONN_F_SYNPROXY) !== 0 && f.protocol === IPPROTO_TCP && f.fragOff === 0) {
      const sp = this.n.synproxy;
      const v = sp.serverSegment(buf, f, id);
      if (v === SP_ACK_READY) return synproxyHandshakeDone(sp, conns, this.n.drops, f, id, nowMs, this.fwdIn);
      if (v !== SP_CONTINUE) return v;
    }
    if (f.fragOff === 0) conns.onPacket(id, DIR_OUTPUT, f.tcpFlags, nowMs);
    conns.countOut(id, f.ipTotalLen);
    const saddr = f.saddr,
      sport = f.sport,
      daddr = f.daddr,
      dport = f.dport;
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd === FWD_FULLNAT) this.fnat.out(buf, f, id);
    else rewriteSource(buf, f, t.vaddr[id]! | 0, t.vport[id]!);
    // Replies cross the director's FORWARD path in the kernel (ip_forward decrements TTL).
    if (!decTtl(buf, f)) return DROP_TTL_EXCEEDED;
    this.n.forwardedOut++;
    if (this.trace.enabled) {
      const fl = fwd === FWD_FULLNAT ? TR_F_FULLNAT : 0;
      const dest = t.dest[id];
      const da = dest ? dest.addr : 0;
      const dp = dest ? dest.port : 0;
      this.trace.rewrite4(nowMs, TR_OUT, fl, f, saddr, sport, daddr, dport, t.state[id]!, da, dp);
    }
    return this.xmit.toAddr(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, f.daddr | 0);
  }
}
