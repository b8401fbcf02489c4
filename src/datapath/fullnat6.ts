// FullNat6: the rewrites of a full NAT connection over IPv6, both directions, with the TCP
// timestamp translation of IPv4 full NAT (tcp-timestamp.ts works on the TCP header alone, so both
// families share it). No kernel IPVS counterpart (kernel IPVS has no full NAT); the IPv6 arms of
// Alibaba's FULLNAT patch and DPVS do the same: the real server sees the director's local
// address as the client and answers it, so it needs no route back to the clients.
//
//   in:  client:cport -> VIP6:vport       becomes  LADDR6:lport -> RIP6:dport
//   out: RIP6:dport -> LADDR6:lport       becomes  VIP6:vport -> client:cport
//
// Both addresses and ports change at once; the L4 checksum is updated once through the IPv6
// pseudo-header (rewriteBoth6). The pipeline found the connection (lookupIn, or lookupOut by
// <RIP6, dport, LADDR6, lport>) and checks the hop limit first. Per packet: no allocation.

import { IPPROTO_TCP } from '../lib/inet.ts';
import type { ConnTable6 } from '../conn/conn-table6.ts';
import { rewriteBoth6 } from '../nat/rewrite6.ts';
import { LocalPortTsClock, tsTranslateOut } from '../nat/tcp-timestamp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

export class FullNat6 {
  /** One timestamp clock per local port toward the real servers (tcp-timestamp.ts). */
  private readonly tsClock = new LocalPortTsClock();

  constructor(private readonly t6: ConnTable6) {}

  /** Client -> real server of connection id; isNew for the packet that created it (its SYN). */
  in(buf: Buffer, f: ParsedFrame, id: number, isNew: boolean, nowMs: number): void {
    const t6 = this.t6;
    const t = t6.table;
    const k = id << 2;
    const lport = t.lport[id]!;
    rewriteBoth6(buf, f, t6.laddr6, k, lport, t6.daddr6, k, t.dport[id]!);
    const d = t.tsDelta[id]!;
    if (f.protocol === IPPROTO_TCP && (d !== 0 || isNew) && f.fragOff === 0) {
      t.tsDelta[id] = this.tsClock.translateIn(buf, f, lport, d, isNew, nowMs);
    }
  }

  /** Real server -> client of connection id: back to VIP6:vport -> client:cport. */
  out(buf: Buffer, f: ParsedFrame, id: number): void {
    const t6 = this.t6;
    const t = t6.table;
    const k = id << 2;
    rewriteBoth6(buf, f, t6.vaddr6, k, t.vport[id]!, t6.caddr6, k, t.cport[id]!);
    const d = t.tsDelta[id]!;
    if (d !== 0 && f.protocol === IPPROTO_TCP && f.fragOff === 0) tsTranslateOut(buf, f, d);
  }
}
