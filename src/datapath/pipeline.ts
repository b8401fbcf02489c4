// Pipeline: the director's packet path over a batch — parse, look up or schedule, rewrite, route,
// queue — the userspace counterpart of ip_vs_in() / ip_vs_out() (ip_vs_core.c) followed by the
// transmitter bound to the connection (ip_vs_nat_xmit / ip_vs_dr_xmit / ip_vs_tunnel_xmit in
// ip_vs_xmit.c).
//
//   frame ─ parse ─┬ ARP ─────────────── learn / answer for owned addresses      (local4-frames.ts)
//                  ├ IPv4 to an owned address
//                  │   ├ ICMP echo ────── reply in place                          (local4-frames.ts)
//                  │   ├ ICMP error ───── NAT outer + quoted headers              (local4-frames.ts)
//                  │   ├ TCP/UDP to a VIP: conn lookup | schedule ── "in" rewrite ─┐
//                  │   └ TCP/UDP to a full-NAT local address: "out" rewrite ───────┤  (reply4.ts)
//                  ├ IPv4 from a real server (classic NAT reply): "out" rewrite ───┤  (reply4.ts)
//                  │                                                                └ xmit
//                  ├ IPv6 ─────────── Pipeline6 when the engine owns IPv6 addresses    (pipeline6.ts)
//                  └ anything else ── PASS (the director's kernel has it too and decides)
//
// Per packet: no allocation, no exceptions; one clock read per batch.

import {
  DROP_BAD_ETHERTYPE,
  DROP_DEST_QUIESCED,
  DROP_FRAGMENT,
  DROP_NONE,
  DROP_NO_DEST,
  DROP_NO_SERVICE,
  DROP_TTL_EXCEEDED,
  type DropCounters,
} from '../lib/drops.ts';
import { FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { CONN_F_FWD_MASK, CONN_F_SYNPROXY } from '../conn/conn-flags.ts';
import { SVC_F_SYNPROXY_NEVER } from '../model/synproxy-state.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { REUSE_DROP, REUSE_RESCHEDULE } from '../conn/conn-reuse.ts';
import { DIR_INPUT } from '../conn/direction.ts';
import { ETH_P_ARP, ETH_P_IPV6 } from '../packet/ethernet.ts';
import { parseFrame, ParsedFrame } from '../packet/frame.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { decTtl, rewriteDest } from '../nat/rewrite.ts';
import { SchedInput } from '../model/scheduler.ts';
import { FragTrack, FRAG_TIMEOUT_MS } from './frag-track.ts';
import { SynProxy } from './synproxy.ts';
import { SynproxyFamily4 } from './synproxy-family.ts';
import { SP_CONTINUE, SP_OPENED } from './synproxy-open.ts';
import { type ClientForward, synproxyNewSegment } from './synproxy-steps.ts';
import { Local4Frames } from './local4-frames.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import { type RxBatch } from './packet-io.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import { Originate4 } from './originate4.ts';
import { TR_F_FULLNAT, TR_F_NEW, TR_IN, type TraceRing } from './trace.ts';
import { TunnelXmit } from './tunnel-xmit.ts';
import { Reply4 } from './reply4.ts';
import { FullNat4 } from './fullnat4.ts';
import type { Xmit } from './xmit.ts';
import type { Pipeline6, ServiceView6 } from './pipeline6.ts';
import type { ConnSyncHook } from './conn-sync-hook.ts';

/** The data plane's read-only view of the service table (ServiceTable.lookup, lookup6). */
export interface ServiceView extends ServiceView6 {
  lookup(protocol: number, vaddr: number, vport: number): Service | null;
}

export class Pipeline {
  readonly f = new ParsedFrame();
  private readonly inp = new SchedInput();
  /** Frames the director originates in this batch (ICMP errors). */
  private readonly orig: Originate4;
  private nowMs = 0;
  /** Full NAT's rewrites, both directions (fullnat4.ts); ARP and ICMP (local4-frames.ts). */
  private readonly fnat: FullNat4;
  private readonly local4: Local4Frames;
  rxFrames = 0;
  passed = 0;
  local = 0;
  forwardedIn = 0;
  forwardedOut = 0;
  /** GSO superpackets carried through whole (one rewrite for many segments). */
  gsoFrames = 0;
  /** Set while a master sync daemon runs: ip_vs_in_hook's ip_vs_sync_conn call. */
  sync: ConnSyncHook | null = null;
  /** The SYN proxy (synproxy.ts). */
  readonly synproxy: SynProxy;
  /** LVS-TUN's transmitter (encapsulation, PMTU, fragments). */
  readonly tun: TunnelXmit;
  /** Fragmented datagrams: their ports, from their first fragment (frag-track.ts). */
  readonly frags = new FragTrack(4096, FRAG_TIMEOUT_MS);
  /** forwardIn for the SYN proxy's handshake completion (synproxy-steps.ts), bound once. */
  private readonly fwdIn: ClientForward = (buf, f, flags, id, isNew) => this.forwardIn(buf, f, flags, id, isNew);
  /** The reply path (ip_vs_out): real server -> client. */
  private readonly reply: Reply4;
  /** The IPv6 path, set by the engine when it owns IPv6 addresses; null: IPv6 frames pass. */
  v6: Pipeline6 | null;

  constructor(
    private readonly services: ServiceView,
    readonly conns: ConnManager,
    private readonly owned: OwnedAddrs,
    readonly xmit: Xmit,
    readonly drops: DropCounters,
    readonly trace: TraceRing,
  ) {
    this.orig = new Originate4(xmit, owned);
    this.synproxy = new SynProxy(conns, new SynproxyFamily4(conns, xmit));
    this.tun = new TunnelXmit(xmit, xmit.mtus, owned);
    this.fnat = new FullNat4(conns.table);
    this.local4 = new Local4Frames(owned, xmit, conns, this);
    this.reply = new Reply4(conns, this.fnat, xmit, trace, this, this.fwdIn);
    this.v6 = null;
  }

  processBatch(b: RxBatch, nowMs: number): void {
    this.nowMs = nowMs;
    this.orig.beginBatch();
    this.synproxy.startBatch();
    this.tun.beginBatch();
    this.xmit.setNow(nowMs);
    if (this.v6 !== null) this.v6.beginBatch(nowMs);
    const n = b.count;
    const buf = b.buf;
    for (let i = 0; i < n; i++) {
      const r = this.processFrame(buf, b.off[i]!, b.len[i]!, b.flags[i]!, b.port[i]!);
      if (r !== DROP_NONE) this.drops.count(r);
    }
    this.rxFrames += n;
  }

  /** One frame; returns DROP_NONE (sent, answered or passed) or the reason it was dropped. */
  processFrame(buf: Buffer, off: number, len: number, flags: number, port: number): number {
    const f = this.f;
    const r = parseFrame(buf, off, len, flags, f);
    if (f.ethType === ETH_P_IPV6) {
      const v6 = this.v6;
      if (v6 === null) {
        this.passed++; // no IPv6 address owned: the kernel has its copy
        return DROP_NONE;
      }
      return r !== DROP_NONE ? r : v6.frame(buf, f, flags, port);
    }
    if (r !== DROP_NONE) {
      if (r === DROP_BAD_ETHERTYPE) {
        this.passed++; // IPv6, LLDP, ...: not ours; the kernel has its copy
        return DROP_NONE;
      }
      return r;
    }
    if (f.ethType === ETH_P_ARP) return this.local4.arp(buf, f, port, this.nowMs);
    const ownerPort = this.owned.portOf(f.daddr);
    const proto = f.protocol;
    this.gsoFrames += f.gso;
    if ((f.fragOff | f.moreFrags) !== 0 && !this.frags.track4(f, this.nowMs)) {
      if (ownerPort >= 0) return DROP_FRAGMENT; // a later fragment whose first one was not seen
      this.passed++;
      return DROP_NONE;
    }
    if (proto === IPPROTO_ICMP) return this.local4.icmp(buf, f, flags, port, ownerPort);
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) {
      this.passed++;
      return DROP_NONE;
    }
    if (ownerPort >= 0) {
      if (this.owned.isFullNat(f.daddr)) {
        const id = this.conns.lookupOut(proto, f.saddr | 0, f.sport, f.daddr | 0, f.dport);
        return id < 0 ? DROP_NO_SERVICE : this.reply.packet(buf, f, flags, id, this.nowMs);
      }
      return this.in(buf, f, flags);
    }
    const id = this.conns.lookupOut(proto, f.saddr | 0, f.sport, f.daddr | 0, f.dport);
    if (id < 0) {
      this.passed++;
      return DROP_NONE;
    }
    return this.reply.packet(buf, f, flags, id, this.nowMs);
  }

  /** Client -> VIP: find or create the connection, rewrite toward the real server, send. */
  private in(buf: Buffer, f: ParsedFrame, flags: number): number {
    const conns = this.conns;
    const t = conns.table;
    const proto = f.protocol;
    let id = conns.lookupIn(proto, f.saddr | 0, f.sport, f.daddr | 0, f.dport);
    let reused = -1;
    if (id >= 0) {
      const v = conns.checkExisting(id, f.tcpFlags, this.nowMs);
      if (v === REUSE_DROP) return this.trace.drop4(this.nowMs, f, DROP_DEST_QUIESCED);
      if (v === REUSE_RESCHEDULE) {
        reused = id;
        id = -1;
      }
    }
    if (id >= 0) {
      if ((t.flags[id]! & CONN_F_SYNPROXY) !== 0 && f.fragOff === 0) {
        const v = this.synproxy.clientSegment(buf, f, flags, id);
        if (v !== SP_CONTINUE) return v === DROP_NONE ? v : this.trace.drop4(this.nowMs, f, v);
      }
      return this.forwardIn(buf, f, flags, id, 0);
    }
    // Only a first fragment (or a whole datagram) schedules: a later one has no header to decide on.
    if (f.fragOff !== 0) return this.trace.drop4(this.nowMs, f, DROP_FRAGMENT);
    const svc = this.services.lookup(proto, f.daddr, f.dport);
    if (svc === null) return this.trace.drop4(this.nowMs, f, DROP_NO_SERVICE);
    const inp = this.inp;
    inp.set(proto, f.saddr, f.sport, f.daddr, f.dport, this.nowMs);
    if (proto === IPPROTO_TCP && (svc.flags & SVC_F_SYNPROXY_NEVER) === 0) {
      const sp = this.synproxy;
      const v = synproxyNewSegment(sp, conns, buf, f, flags, svc, inp, reused, this.nowMs);
      if (v === SP_OPENED) return this.forwardIn(sp.out, f, 0, sp.openedId, TR_F_NEW);
      if (v !== SP_CONTINUE) return v === DROP_NONE ? v : this.trace.drop4(this.nowMs, f, v);
    }
    id = conns.schedule(svc, inp, f.tcpFlags);
    if (id < 0) {
      if (-id === DROP_NO_DEST) this.orig.portUnreachable(buf, f);
      return this.trace.drop4(this.nowMs, f, -id);
    }
    return this.forwardIn(buf, f, flags, id, TR_F_NEW);
  }

  /** A client segment of connection id (isNew: TR_F_NEW when it made it): state, counters, rewrite, send. */
  private forwardIn(buf: Buffer, f: ParsedFrame, flags: number, id: number, isNew: number): number {
    const conns = this.conns;
    const t = conns.table;
    // A later fragment has no TCP flags: the state machine sees the datagram once, as IPVS does.
    if (f.fragOff === 0) conns.onPacket(id, DIR_INPUT, f.tcpFlags, this.nowMs);
    conns.countIn(id, f.ipTotalLen);
    const dest = t.dest[id]!;
    const saddr = f.saddr,
      sport = f.sport,
      daddr = f.daddr,
      dport = f.dport;
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd === FWD_MASQ) rewriteDest(buf, f, t.daddr[id]! | 0, t.dport[id]!);
    else if (fwd === FWD_FULLNAT) this.fnat.in(buf, f, id, isNew !== 0, this.nowMs);
    else if (fwd !== FWD_ROUTE && fwd !== FWD_TUNNEL) return this.trace.drop4(this.nowMs, f, DROP_NO_DEST);
    // __ip_vs_get_out_rt() -> decrement_ttl() (ip_vs_xmit.c) for a route that is not local; for a
    // tunnel, before the inner packet is wrapped (the outer header takes the decremented TTL).
    if (!decTtl(buf, f)) return DROP_TTL_EXCEEDED;
    this.forwardedIn++;
    if (this.sync !== null) this.sync.syncConn(id, this.nowMs);
    if (this.trace.enabled) {
      const fl = isNew | (fwd === FWD_FULLNAT ? TR_F_FULLNAT : 0);
      this.trace.rewrite4(this.nowMs, TR_IN, fl, f, saddr, sport, daddr, dport, t.state[id]!, dest.addr, dest.port);
    }
    // TUN wraps the packet in an outer header toward the real server (tunnel-xmit.ts).
    if (fwd === FWD_TUNNEL) return this.tun.send(buf, f, flags, dest);
    // DR keeps the IP header and only changes the MACs: route toward the real server's address.
    return this.xmit.toAddr(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, t.daddr[id]! | 0);
  }
}
