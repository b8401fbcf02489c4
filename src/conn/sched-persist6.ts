// schedPersist6: scheduling for a persistent IPv6 service, the AF_INET6 arm of
// ip_vs_sched_persist (ip_vs_core.c): the client address is cut to the service's prefix length
// (ipv6_addr_prefix(&snet.in6, ..., svc->netmask): an IPv6 service's -M is a prefix length, 128
// by default), and the template <proto, snet, 0, vaddr, vport> lives in the IPv6 table with its
// 128-bit columns, found by ConnTable6.lookupTemplate. The template's creation and the
// connection it controls are sched-persist.ts's, on the folds; the 128-bit columns are filled
// here for the template and by ConnManager6.schedule for the connection. Runs per new
// connection, never per established packet; allocates nothing.

import type { Service } from '../model/service.ts';
import type { SchedInput } from '../model/scheduler.ts';
import type { ConnTable6 } from './conn-table6.ts';
import type { ConnExpiry } from './expiry.ts';
import type { LocalAddrPool } from './port-pool.ts';
import { checkTemplate, newTemplate, persistConn, templateVport } from './sched-persist.ts';

/** out = the first `len` bits of a (ipv6_addr_prefix); the other bits 0. */
export function prefix6(a: Uint32Array, len: number, out: Uint32Array): void {
  for (let i = 0; i < 4; i++) {
    const bits = len - i * 32;
    const m = bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    out[i] = (a[i]! & m) >>> 0;
  }
}

function fold(w: Uint32Array): number {
  return (w[0]! ^ w[1]! ^ w[2]! ^ w[3]!) >>> 0;
}

/** The scratch words of one ConnManager6: the template's client prefix and virtual address. */
export class Persist6Scratch {
  readonly snet = new Uint32Array(4);
  readonly tvaddr = new Uint32Array(4);
}

/**
 * ip_vs_sched_persist for an IPv6 client caddr6 -> vaddr6 (inp holds their folds): reuse the
 * live template of the client's prefix, or schedule once and make one; then the connection,
 * controlled by it. The connection's id, or minus a drop reason, as schedPersist.
 */
export function schedPersist6(
  t6: ConnTable6,
  expiry: ConnExpiry,
  fnat: LocalAddrPool | null,
  expireQuiescentTemplate: boolean,
  svc: Service,
  inp: SchedInput,
  caddr6: Uint32Array,
  vaddr6: Uint32Array,
  s: Persist6Scratch,
): number {
  const t = t6.table;
  prefix6(caddr6, svc.netmask, s.snet);
  let tproto = inp.protocol;
  s.tvaddr.set(vaddr6);
  const tvport = templateVport(svc, inp);
  if (inp.vport !== svc.port && svc.fwmark !== 0) {
    // "union nf_inet_addr fwmark = { .ip = htonl(svc->fwmark) }": the mark in the first word.
    tproto = 0; // IPPROTO_IP
    s.tvaddr.fill(0);
    s.tvaddr[0] = svc.fwmark >>> 0;
  }
  let ct = t6.lookupTemplate(tproto, s.snet, s.tvaddr, tvport);
  if (ct < 0 || !checkTemplate(t, ct, expireQuiescentTemplate)) {
    ct = newTemplate(t, expiry, fnat, svc, inp, tproto, fold(s.snet), fold(s.tvaddr), tvport);
    if (ct < 0) return ct;
    t6.setAddrs(ct, s.snet, s.tvaddr, t.dest[ct]!.addr6, s.snet);
  }
  return persistConn(t, expiry, fnat, svc, inp, ct);
}
