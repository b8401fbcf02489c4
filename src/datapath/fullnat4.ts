// FullNat4: the rewrites of a full NAT connection over IPv4, both directions, with the TCP
// timestamp translation toward the real servers (tcp-timestamp.ts), the IPv4 twin of fullnat6.ts.
// No kernel IPVS counterpart (kernel IPVS has no full NAT); Alibaba's FULLNAT patch and DPVS do
// the same: the real server sees the director's local address as the client and answers it, so
// it needs no route back to the clients.
//
//   in:  client:cport -> VIP:vport        becomes  LADDR:lport -> RIP:dport
//   out: RIP:dport -> LADDR:lport         becomes  VIP:vport -> client:cport
//
// Both addresses and ports change at once, with one incremental update of the IP header checksum
// and one of the L4 checksum (rewriteBoth). The pipeline found the connection (lookupIn, or
// lookupOut by <RIP, dport, LADDR, lport>). Per packet: no allocation.

import { IPPROTO_TCP } from '../lib/inet.ts';
import type { ConnTable } from '../conn/conn-table.ts';
import { rewriteBoth } from '../nat/rewrite.ts';
import { LocalPortTsClock, tsTranslateOut } from '../nat/tcp-timestamp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';

export class FullNat4 {
  /** One timestamp clock per local port toward the real servers (tcp-timestamp.ts). */
  private readonly tsClock = new LocalPortTsClock();

  constructor(private readonly t: ConnTable) {}

  /** Client -> real server of connection id; isNew for the packet that created it (its SYN). */
  in(buf: Buffer, f: ParsedFrame, id: number, isNew: boolean, nowMs: number): void {
    const t = this.t;
    const lport = t.lport[id]!;
    rewriteBoth(buf, f, t.laddr[id]! | 0, lport, t.daddr[id]! | 0, t.dport[id]!);
    const d = t.tsDelta[id]!;
    if (f.protocol === IPPROTO_TCP && (d !== 0 || isNew) && f.fragOff === 0) {
      t.tsDelta[id] = this.tsClock.translateIn(buf, f, lport, d, isNew, nowMs);
    }
  }

  /** Real server -> client of connection id: back to VIP:vport -> client:cport. */
  out(buf: Buffer, f: ParsedFrame, id: number): void {
    const t = this.t;
    rewriteBoth(buf, f, t.vaddr[id]! | 0, t.vport[id]!, t.caddr[id]! | 0, t.cport[id]!);
    const d = t.tsDelta[id]!;
    if (d !== 0 && f.protocol === IPPROTO_TCP && f.fragOff === 0) tsTranslateOut(buf, f, d);
  }
}
