// ICMPv6 errors about a known IPv6 connection (ip_vs_in_icmp_v6 / ip_vs_out_icmp_v6 in
// ip_vs_core.c): find the connection from the quoted packet, NAT the outer and quoted headers
// (nat-icmp6.ts), forward. The IPv6 twin of icmp-path.ts: classic NAT and full NAT.
//
//   from the real-server side, quoting   caddr|laddr:cport|lport -> daddr:dport   (our "in" rewrite)
//        -> to the client, quoting       caddr:cport -> vaddr:vport
//   from the client side, quoting        vaddr:vport -> caddr:cport             (our "out" rewrite)
//        -> to the real server, quoting  daddr:dport -> caddr|laddr:cport|lport

import { DROP_BAD_L4_HEADER, DROP_ICMP_UNRELATED, DROP_NONE, DROP_TTL_EXCEEDED } from '../lib/drops.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../model/dest.ts';
import { CONN_F_FWD_MASK } from '../conn/conn-flags.ts';
import type { ConnManager6 } from '../conn/conn-manager6.ts';
import { icmp6ChecksumOk, icmp6TypeIsError } from '../packet/icmp6.ts';
import type { ParsedFrame } from '../packet/parsed-frame.ts';
import { natIcmp6Full, natIcmp6In, natIcmp6Out } from '../nat/nat-icmp6.ts';
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
  const t6 = cm.t6;
  const t = t6.table;
  const p = f.innerProtocol;
  // The quoted packet went real server-ward: look it up as its reply would be.
  let id = cm.lookupOut(p, f.innerDaddr6, f.innerDport, f.innerSaddr6, f.innerSport);
  if (id >= 0) {
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd !== FWD_MASQ && fwd !== FWD_FULLNAT) return DROP_ICMP_UNRELATED;
    if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    if (!decHopLimit(buf, f)) return DROP_TTL_EXCEEDED;
    const k = id << 2;
    if (fwd === FWD_MASQ) natIcmp6Out(buf, f, t6.vaddr6, k, t.vport[id]!);
    else natIcmp6Full(buf, f, t6.vaddr6, k, t6.caddr6, k, t6.caddr6, k, t.cport[id]!, t6.vaddr6, k, t.vport[id]!);
    return x6.toAddr6(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, t6.caddr6, id << 2);
  }
  // The quoted packet went client-ward (a reply we rewrote to vaddr:vport -> caddr:cport).
  id = cm.lookupIn(p, f.innerDaddr6, f.innerDport, f.innerSaddr6, f.innerSport);
  if (id >= 0) {
    const fwd = t.flags[id]! & CONN_F_FWD_MASK;
    if (fwd !== FWD_MASQ && fwd !== FWD_FULLNAT) return DROP_ICMP_UNRELATED;
    if (!icmp6ChecksumOk(buf, f)) return DROP_BAD_L4_HEADER;
    if (!decHopLimit(buf, f)) return DROP_TTL_EXCEEDED;
    const k = id << 2;
    if (fwd === FWD_MASQ) natIcmp6In(buf, f, t6.daddr6, k, t.dport[id]!);
    else natIcmp6Full(buf, f, t6.laddr6, k, t6.daddr6, k, t6.daddr6, k, t.dport[id]!, t6.laddr6, k, t.lport[id]!);
    return x6.toAddr6(buf, f.frameOff, f.frameLen, flags & RXF_VNET_HDR, t6.daddr6, id << 2);
  }
  return toOwned ? DROP_ICMP_UNRELATED : DROP_NONE;
}
