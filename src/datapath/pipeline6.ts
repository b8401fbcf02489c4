// Pipeline6: the director's IPv6 packet path, the AF_INET6 arms of ip_vs_in() / ip_vs_out()
// (ip_vs_core.c) and ip_vs_nat_xmit_v6() (ip_vs_xmit.c). pipeline.ts parses every frame once and
// hands IPv6 ones here, as the kernel registers one hook per family (ip_vs_ops4 / ip_vs_ops6).
//
//   IPv6 frame ─┬ NS / NA ─────────── answer for owned addresses, learn neighbours   (local6.ts)
//               ├ ICMPv6 error ────── NAT outer + quoted headers of a connection    (icmp6-path.ts)
//               ├ ICMPv6 echo to an owned address ── reply in place                (local6.ts)
//               ├ TCP/UDP to a VIP6: conn lookup | schedule ── "in" rewrite ──┐
//               ├ TCP/UDP from a real server of a connection: "out" rewrite ──┴ xmit6
//               └ anything else ── PASS (the director's kernel has it too and decides)
//
// Classic NAT (masquerading, -m), direct routing (-g, ip_vs_dr_xmit_v6: the packet leaves as it
// came, only its Ethernet addresses change toward the real server, which holds the VIP6 on lo and
// answers the client itself), full NAT (-F, fullnat6.ts: the replies come back to an IPv6
// full-NAT address tsvs owns) and tunnelling (-i, ip_vs_tunnel_xmit_v6, tunnel-xmit6.ts). A
// packet from a real server of a connection that is not NAT is passed to the kernel unchanged:
// ip_vs_out_hook() (ip_vs_core.c) rewrites replies of MASQ connections only and accepts the
// others. The hop limit is checked before the rewrite, as __ip_vs_get_out_rt_v6() does
// (decrement_ttl), so ICMPv6 time exceeded quotes the packet as the sender sent it.
// Per packet: no allocation; the frames the director originates use slots of one buffer
// (originate6.ts), valid until the batch is flushed.

import {
  DROP_DEST_QUIESCED,
  DROP_FRAGMENT,
  DROP_NO_DEST,
  DROP_NO_SERVICE,
  DROP_NONE,
  DROP_TTL_EXCEEDED,
} from '../lib/drops.ts';
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { AF_INET6, FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { SchedInput } from '../model/scheduler.ts';
import { SVC_F_SYNPROXY_NEVER } from '../model/synproxy-state.ts';
import { CONN_F_FWD_MASK, CONN_F_SYNPROXY } from '../conn/conn-flags.ts';
import type { ConnManager6 } from '../conn/conn-manager6.ts';
import { REUSE_DROP, REUSE_RESCHEDULE } from '../conn/conn-reuse.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../conn/direction.ts';
import { decHopLimit, rewriteDest6, rewriteSource6 } from '../nat/rewrite6.ts';
import { ICMPV6_DEST_UNREACH, ICMPV6_TIME_EXCEED } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { FRAG6_TIMEOUT_MS, FragTrack } from './frag-track.ts';
import { FullNat6 } from './fullnat6.ts';
import { Icmp6Frames, type PathCounters } from './icmp6-frames.ts';
import { Originate6 } from './originate6.ts';
import { TR_F_FULLNAT, TR_F_NEW, TR_IN, TR_OUT } from './trace.ts';
import type { Trace6 } from './trace6.ts';
import type { OwnedAddrs } from './owned-addrs.ts';
import { TunnelXmit6 } from './tunnel-xmit6.ts';
import { Tunnel6in4 } from './tunnel-6in4.ts';
import { Tunnel4in6 } from './tunnel-4in6.ts';
import { SynProxy } from './synproxy.ts';
import { SynproxyFamily6 } from './synproxy-family6.ts';
import { SP_ACK_READY, SP_CONTINUE, SP_OPENED } from './synproxy-open.ts';
import { type ClientForward, synproxyHandshakeDone, synproxyNewSegment } from './synproxy-steps.ts';
import type { Xmit } from './xmit.ts';
import type { Xmit6 } from './xmit6.ts';
import type { ConnSyncHook } from './conn-sync-hook.ts';

/** The data plane's read-only view of the IPv6 services (ServiceTable.lookup6). */
export interface ServiceView6 {
  lookup6(protocol: number, vaddr6: Uint32Array, vport: number): Service | null;
}

export class Pipeline6 {
  private readonly inp = new SchedInput();
  /** Frames the director originates in this batch (NA, ICMPv6 errors). */
  private readonly orig: Originate6;
  private readonly icmp: Icmp6Frames;
  private nowMs = 0;
  /** Fragmented datagrams: their ports, from their first fragment (frag-track.ts). */
  readonly frags = new FragTrack(1024, FRAG6_TIMEOUT_MS);
  private readonly fnat: FullNat6;
  /** LVS-TUN over IPv6: ip6ip6 toward the real server (tunnel-xmit6.ts). */
  readonly tun: TunnelXmit6;
  /** LVS-TUN of IPv6 packets toward IPv4 real servers: 6in4 (tunnel-6in4.ts). */
  readonly tun4: Tunnel6in4;
  /** Set while a master sync daemon runs (sync-master6.ts): ip_vs_in_hook's ip_vs_sync_conn call. */
  sync: ConnSyncHook | null = null;
  /** The SYN proxy for IPv6 services (synproxy.ts over SynproxyFamily6), counting with IPv4's. */
  readonly synproxy: SynProxy;
  /** The client path for the proxy's handshake completion (no ICMPv6 port: see forward). */
  private readonly fwdIn: ClientForward = (buf, f, flags, id, isNew) => this.forward(buf, f, flags, -1, id, isNew);

  constructor(
    private readonly services: ServiceView6,
    readonly cm: ConnManager6,
    private readonly owned: OwnedAddrs,
    private readonly xmit: Xmit,
    readonly x6: Xmit6,
    private readonly n: PathCounters,
    private readonly tr: Trace6,
  ) {
    this.orig = new Originate6(xmit);
    this.icmp = new Icmp6Frames(owned, xmit, x6, this.orig, cm, n);
    this.fnat = new FullNat6(cm.t6);
    this.tun = new TunnelXmit6(xmit, x6, owned);
    this.tun4 = new Tunnel6in4(xmit, this.tun);
    n.tun.to6 = new Tunnel4in6(n.tun, xmit, x6);
    const v4 = n.synproxy;
    this.synproxy = new SynProxy(cm.conns, new SynproxyFamily6(cm, x6), { wscale: v4.wscale }, v4.n);
  }

  beginBatch(nowMs: number): void {
    this.nowMs = nowMs;
    this.orig.beginBatch();
    this.tun.beginBatch();
    this.synproxy.startBatch();
    this.x6.setNow(nowMs);
  }

  /** One parsed IPv6 frame (parseFrame returned DROP_NONE); DROP_NONE or the reason it was dropped. */
  frame(buf: Buffer, f: ParsedFrame, flags: number, port: number): number {
    const proto = f.protocol;
    const ownerPort = this.owned.portOf6(f.daddr6);
    if ((f.fragOff | f.moreFrags) !== 0 && !this.frags.track(f, f.saddr6, f.daddr6, this.nowMs)) {
      if (ownerPort >= 0) return DROP_FRAGMENT; // a later fragment whose first one was not seen
      this.n.passed++;
      return DROP_NONE;
    }
    if (proto === IPPROTO_ICMPV6) return this.icmp.frame(buf, f, flags, port, ownerPort, this.nowMs);
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) {
      this.n.passed++;
      return DROP_NONE;
    }
    if (ownerPort >= 0) {
      if (this.owned.isFullNat6(f.daddr6)) {
        // A real server's reply to a full-NAT local address: <RIP6, dport, LADDR6, lport>.
        const id = this.cm.lookupOut(proto, f.saddr6, f.sport, f.daddr6, f.dport);
        return id < 0 ? DROP_NO_SERVICE : this.outbound(buf, f, flags, port, id);
      }
      if (!this.tr.enabled) return this.in(buf, f, flags, ownerPort);
      this.tr.save(f);
      const v = this.in(buf, f, flags, ownerPort);
      if (v !== DROP_NONE) this.tr.drop(this.nowMs, f, v);
      return v;
    }
    const id = this.cm.lookupOut(proto, f.saddr6, f.sport, f.daddr6, f.dport);
    if (id < 0) {
      this.n.passed++;
      return DROP_NONE;
    }
    return this.outbound(buf, f, flags, port, id);
  }

  /** Client -> VIP6: find or create the connection, rewrite toward the real server, send. */
  private in(buf: Buffer, f: ParsedFrame, flags: number, port: number): number {
    const cm = this.cm;
    const conns = cm.conns;
    const proto = f.protocol;
    let id = cm.lookupIn(proto, f.saddr6, f.sport, f.daddr6, f.dport);
    let isNew = 0;
    let reused = -1;
    if (id >= 0) {
      const v = conns.checkExisting(id, f.tcpFlags, this.nowMs);
      if (v === REUSE_DROP) return DROP_DEST_QUIESCED;
      if (v === REUSE_RESCHEDULE) reused = id;
      else if ((cm.t6.table.flags[id]! & CONN_F_SYNPROXY) !== 0 && f.fragOff === 0) {
        const r = this.synproxy.clientSegment(buf, f, flags, id);
        if (r !== SP_CONTINUE) return r;
      }
    }
    if (id < 0 || reused >= 0) {
      if (f.fragOff !== 0) return DROP_FRAGMENT; // only a first fragment schedules (pipeline.ts)
      const svc = this.services.lookup6(proto, f.daddr6, f.dport);
      if (svc === null) return DROP_NO_SERVICE;
      this.inp.set(proto, f.saddr, f.sport, f.daddr, f.dport, this.nowMs);
      if (proto === IPPROTO_TCP && (svc.flags & SVC_F_SYNPROXY_NEVER) === 0) {
        const sp = this.synproxy;
        const v = synproxyNewSegment(sp, conns, buf, f, flags, svc, this.inp, reused, this.nowMs);
        if (v === SP_OPENED) return this.forward(sp.out, f, 0, port, sp.openedId, TR_F_NEW);
        if (v !== SP_CONTINUE) return v;
      }
      id = cm.schedule(svc, this.inp, f.tcpFlags, f.saddr6, f.daddr6);
      if (id < 0) {
        if (-id === DROP_NO_DEST) this.orig.icmpError(buf, f, port, ICMPV6_DEST_UNREACH, f.daddr6);
        return -id;
      }
      isNew = TR_F_NEW;
    }
    return this.forward(buf, f, flags, port, id, isNew);
  }

  /** A client segment of connection id (isNew: TR_F_NEW when it made it); port -1: no ICMPv6 error. */
  private forward(buf: Buffer, f: ParsedFrame, flags: number, port: number, id: number, isNew: number): number {
    const cm = this.cm;
    const conns = cm.conns;
    const t = cm.t6.table;
    if (f.fragOff === 0) conns.onPacket(id, DIR_INPUT, f.tcpFlags, this.nowMs);
    conns.countIn(id, f.ipTotalLen);
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd !== FWD_MASQ && fwd !== FWD_ROUTE && fwd !== FWD_FULLNAT && fwd !== FWD_TUNNEL) return DROP_NO_DEST;
    // __ip_vs_get_out_rt_v6() -> decrement_ttl() (ip_vs_xmit.c), for DR as for NAT.
    if (!decHopLimit(buf, f)) {
      if (port >= 0) this.orig.icmpError(buf, f, port, ICMPV6_TIME_EXCEED, f.daddr6);
      return DROP_TTL_EXCEEDED;
    }
    // DR keeps every IP and TCP/UDP byte; sendConn() routes toward the real server's address.
    if (fwd === FWD_MASQ) rewriteDest6(buf, f, cm.t6.daddr6, id << 2, t.dport[id]!);
    else if (fwd === FWD_FULLNAT) this.fnat.in(buf, f, id, isNew !== 0, this.nowMs);
    this.n.forwardedIn++;
    if (this.sync !== null) this.sync.syncConn(id, this.nowMs);
    if (this.tr.enabled)
      this.tr.conn(this.nowMs, TR_IN, isNew | (fwd === FWD_FULLNAT ? TR_F_FULLNAT : 0), f, cm.t6, id);
    if (fwd !== FWD_TUNNEL) return this.x6.sendConn(cm.t6.hopIn, cm.t6.daddr6, id, buf, f, flags);
    const dest = t.dest[id]!;
    if (dest.af !== AF_INET6) return this.tun4.send(buf, f, flags, dest); // 6in4 (tunnel-6in4.ts)
    const hop = this.x6.connHop(cm.t6.hopIn, cm.t6.daddr6, id);
    return hop < 0 ? -hop : this.tun.send(buf, f, flags, dest, hop, cm.t6.daddr6, id << 2);
  }

  /** Real server -> client: rewrite the source back to VIP6:vport, send. */
  private outbound(buf: Buffer, f: ParsedFrame, flags: number, port: number, id: number): number {
    const cm = this.cm;
    const t = cm.t6.table;
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd !== FWD_MASQ && fwd !== FWD_FULLNAT) {
      this.n.passed++;
      return DROP_NONE;
    }
    if ((t.flags[id]! & CONN_F_SYNPROXY) !== 0 && f.protocol === IPPROTO_TCP && f.fragOff === 0) {
      const v = this.synproxy.serverSegment(buf, f, id);
      if (v === SP_ACK_READY)
        return synproxyHandshakeDone(this.synproxy, cm.conns, this.n.drops, f, id, this.nowMs, this.fwdIn);
      if (v !== SP_CONTINUE) return v;
    }
    if (f.fragOff === 0) cm.conns.onPacket(id, DIR_OUTPUT, f.tcpFlags, this.nowMs);
    cm.conns.countOut(id, f.ipTotalLen);
    // Replies cross the director's forwarding path in the kernel (ip6_forward decrements the hop limit).
    if (!decHopLimit(buf, f)) {
      const src = this.x6.nsSender(port, f.saddr6);
      if (src !== null) this.orig.icmpError(buf, f, port, ICMPV6_TIME_EXCEED, src);
      return DROP_TTL_EXCEEDED;
    }
    if (this.tr.enabled) this.tr.save(f);
    if (fwd === FWD_FULLNAT) this.fnat.out(buf, f, id);
    else rewriteSource6(buf, f, cm.t6.vaddr6, id << 2, t.vport[id]!);
    this.n.forwardedOut++;
    if (this.tr.enabled) this.tr.conn(this.nowMs, TR_OUT, fwd === FWD_FULLNAT ? TR_F_FULLNAT : 0, f, cm.t6, id);
    return this.x6.sendConn(cm.t6.hopOut, cm.t6.caddr6, id, buf, f, flags);
  }
}
