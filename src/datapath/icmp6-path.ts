// ICMPv6 errors about a known IPv6 connection (ip_vs_in_icmp_v6 / ip_vs_out_icmp_v6 in
// ip_vs_core.c): find the connection from the quoted packet, NAT the outer and quoted headers
// (nat-icmp6.ts), forward. The IPv6 twin of icmp-path.ts; classic NAT (masquerading) only.
//
//   from the real-server side, quoting   caddr:cport -> daddr:dport
//        -> to the client, quoting       caddr:cport -> vaddr:vport
//   from the client side, quoting        vaddr:vport -> caddr:cport
//        -> to the real server, quoting  daddr:dport -> caddr:cport

import { DROP_BAD_L4_HEADER, DROP_ICMP_UNRELATED, DROP_NONE, DROP_TTL_EXCEEDED } from '../lib/drops.ts';
import { FWD_MASQ } from '../model/dest.ts';
import { CONN_F_FWD_MASK } from '../conn/conn-flags.ts';
import type { ConnManager6 } from '../conn/conn-manager6.ts';
import { icmp6ChecksumOk, icmp6TypeIsError } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { natIcmp6In, natIcmp6Out } from '../nat/nat-icmp6.ts';
import { decHopLimit } from '../nat/rewrite6.ts';
import { RXF_VNET_HDR } from '../packet/rx-flags.ts';
import type { Xmit6 } from './xmit6.ts';

export function handleIcmp6Error(
  buf: Buffer,
  f: ParsedFrame,
  flags: number,
  toOwned: boolean,
  cm: ConnManager6,
  x6: Xmit6,
): number {
  // ip_vs_in_icmp_v6: informational messages (type >= 128) are not NATed; the four error types are.
  if (!icmp6TypeIsError(f.icmpType)) return toOwned ? DROP_ICMP_UNRELATED : DROP_NONE;
  const t = cm.t6.table;
  const p = f.innerProtocol;
  // The quoted packet went real server-ward: look it up as its reply would be.
  let id = cm.lookupOut(p, f.innerDaddr6, f.innerDport, f.innerSaddr6, f.innerSport);
  if (id >= 0) {
    if ((t.flags[id]! & CONN_F_FWD_MASK) !== FWD_MASQ) return DROP_ICMP_UNRELATED;
    if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    if (!decHopLimit(buf, f)) return DROP_TTL_EXCEEDED;
    natIcmp6Out(buf, f, cm.t6.vaddr6, id << 2, t.vport[id]!);
    return x6.toAddr6(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, cm.t6.caddr6, id << 2);
  }
  // The quoted packet went client-ward (a reply we rewrote to vaddr:vport -> caddr:cport).
  id = cm.lookupIn(p, f.innerDaddr6, f.innerDport, f.innerSaddr6, f.innerSport);
  if (id >= 0) {
    if ((t.flags[id]! & CONN_F_FWD_MASK) !== FWD_MASQ) return DROP_ICMP_UNRELATED;
    if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    if (!decHopLimit(buf, f)) return DROP_TTL_EXCEEDED;
    natIcmp6In(buf, f, cm.t6.daddr6, id << 2, t.dport[id]!);
    return x6.toAddr6(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, cm.t6.daddr6, id << 2);
  }
  return toOwned ? DROP_ICMP_UNRELATED : DROP_NONE;
}
