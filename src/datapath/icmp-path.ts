// ICMP errors about a known connection (ip_vs_in_icmp / ip_vs_out_icmp in ip_vs_core.c): find the
// connection from the quoted packet, NAT the outer and quoted headers (nat-icmp.ts), forward.
//
//   from the real-server side, quoting   caddr|laddr:cport|lport -> daddr:dport   (our "in" rewrite)
//        -> to the client, quoting       caddr:cport -> vaddr:vport
//   from the client side, quoting        vaddr:vport -> caddr:cport             (our "out" rewrite)
//        -> to the real server, quoting  daddr:dport -> caddr|laddr:cport|lport

import { DROP_BAD_L4_HEADER, DROP_ICMP_UNRELATED, DROP_NONE, DROP_TTL_EXCEEDED } from '../lib/drops.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../model/dest.ts';
import { CONN_F_FWD_MASK } from '../conn/conn-flags.ts';
import type { ConnManager } from '../conn/conn-manager.ts';
import { ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED, icmpChecksumOk } from '../packet/icmp.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { natIcmpFull, natIcmpIn, natIcmpOut } from '../nat/nat-icmp.ts';
import { decTtl } from '../nat/rewrite.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import type { Xmit } from './xmit.ts';

export function handleIcmpError(
  buf: Buffer,
  f: ParsedFrame,
  flags: number,
  toOwned: boolean,
  conns: ConnManager,
  xmit: Xmit,
): number {
  // ip_vs_in_icmp / ip_vs_out_icmp handle only these three; anything else is not NATed.
  const type = f.icmpType;
  if (type !== ICMP_DEST_UNREACH && type !== ICMP_SOURCE_QUENCH && type !== ICMP_TIME_EXCEEDED)
    return toOwned ? DROP_ICMP_UNRELATED : DROP_NONE;
  const t = conns.table;
  const p = f.innerProtocol;
  // The quoted packet went real server-ward: look it up as its reply would be.
  let id = conns.lookupOut(p, f.innerDaddr, f.innerDport, f.innerSaddr, f.innerSport);
  if (id >= 0) {
    if (!icmpChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd === FWD_MASQ) natIcmpOut(buf, f, t.vaddr[id]!, t.vport[id]!);
    else if (fwd === FWD_FULLNAT)
      natIcmpFull(buf, f, t.vaddr[id]!, t.caddr[id]!, t.caddr[id]!, t.cport[id]!, t.vaddr[id]!, t.vport[id]!);
    else return DROP_ICMP_UNRELATED;
    if (!decTtl(buf, f)) return DROP_TTL_EXCEEDED;
    return xmit.toAddr(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, t.caddr[id]! | 0);
  }
  // The quoted packet went client-ward (a reply we rewrote to vaddr:vport -> caddr:cport).
  id = conns.lookupIn(p, f.innerDaddr, f.innerDport, f.innerSaddr, f.innerSport);
  if (id >= 0) {
    if (!icmpChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd === FWD_MASQ) natIcmpIn(buf, f, t.daddr[id]!, t.dport[id]!);
    else if (fwd === FWD_FULLNAT)
      natIcmpFull(buf, f, t.laddr[id]!, t.daddr[id]!, t.daddr[id]!, t.dport[id]!, t.laddr[id]!, t.lport[id]!);
    else return DROP_ICMP_UNRELATED;
    if (!decTtl(buf, f)) return DROP_TTL_EXCEEDED;
    return xmit.toAddr(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, t.daddr[id]! | 0);
  }
  return toOwned ? DROP_ICMP_UNRELATED : DROP_NONE;
}
