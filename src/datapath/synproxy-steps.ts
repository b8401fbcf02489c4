// The two steps of the SYN proxy each pipeline (pipeline.ts for IPv4, pipeline6.ts for IPv6) takes
// the same way, written once: a TCP segment for a service that matched no connection (a SYN
// answered with a cookie, an ACK proving one: syn_proxy_syn_rcv / syn_proxy_ack_rcv of DPVS's
// ip_vs_synproxy.c), and the real server's SYN-ACK that completes a proxied handshake
// (syn_proxy_synack_rcv), after which the handshake's ACK and the client data kept meanwhile go
// to the server. The pipeline's own client path is passed in as a ClientForward, bound once.

import { DROP_NONE, type DropCounters } from '../lib/drops.ts';
import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { DIR_OUTPUT } from '../conn/direction.ts';
import { parseFrame } from '../packet/frame.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import type { SynProxy } from './synproxy.ts';
import { SP_CONTINUE, SP_OPENED } from './synproxy-open.ts';

/** A pipeline's client path: connection id's segment rewritten and sent (isNew: TR_F_NEW or 0). */
export type ClientForward = (buf: Buffer, f: ParsedFrame, flags: number, id: number, isNew: number) => number;

/**
 * A TCP segment for svc with no connection, given to the proxy. SP_OPENED: a proven cookie made
 * connection sp.openedId and f now describes the SYN at sp.out, which the pipeline forwards as
 * the connection's first packet. SP_CONTINUE: IPVS's own path. Anything else is a verdict.
 *
 * `reused` is the entry a reused port's SYN was rescheduled away from (REUSE_RESCHEDULE), or -1.
 * A SYN answered by a cookie makes no connection to hash in front of it, so the ACK proving the
 * cookie would match the old entry and be translated with its stale deltas into the real
 * server's TIME_WAIT. The kernel's ip_vs_conn_expire_now() fires the old entry's timer at once;
 * the wheel here fires up to a tick late, so it is deleted now.
 */
export function synproxyNewSegment(
  sp: SynProxy,
  conns: ConnManager,
  buf: Buffer,
  f: ParsedFrame,
  flags: number,
  svc: Service,
  inp: SchedInput,
  reused: number,
  nowMs: number,
): number {
  const v = sp.newSegment(buf, f, flags, svc, inp, nowMs);
  if (v === SP_OPENED) {
    // The SYN the director wrote for the client goes out as the connection's first packet.
    parseFrame(sp.out, sp.outOff, sp.outLen, 0, f);
    return v;
  }
  if (v !== SP_CONTINUE && reused >= 0 && conns.table.nControl[reused] === 0) conns.deleteConn(reused, nowMs);
  return v;
}

/**
 * The real server's SYN-ACK of proxied connection id was consumed (serverSegment returned
 * SP_ACK_READY; the client had the cookie SYN-ACK): counted and run through the state machine,
 * then the handshake's ACK and the client data kept meanwhile go to the server as client
 * segments. Returns the ACK's verdict; the kept segment's is counted in drops.
 */
export function synproxyHandshakeDone(
  sp: SynProxy,
  conns: ConnManager,
  drops: DropCounters,
  f: ParsedFrame,
  id: number,
  nowMs: number,
  forwardIn: ClientForward,
): number {
  conns.onPacket(id, DIR_OUTPUT, f.tcpFlags, nowMs);
  conns.countOut(id, f.ipTotalLen);
  const slot = sp.readySlot;
  parseFrame(sp.out, sp.outOff, sp.outLen, 0, f);
  sp.clientSegment(sp.out, f, 0, id);
  const r = forwardIn(sp.out, f, 0, id, 0);
  const p = sp.pending;
  const len = p.dataLen[slot]!;
  if (len > 0) {
    const fl = p.dataFlags[slot]!;
    const at = p.dataOff(slot);
    if (parseFrame(p.data, at, len, fl, f) === DROP_NONE && sp.clientSegment(p.data, f, fl, id) === SP_CONTINUE) {
      const r2 = forwardIn(p.data, f, fl, id, 0);
      if (r2 !== DROP_NONE) drops.count(r2);
    }
  }
  p.releaseAfterFlush(slot);
  return r;
}
