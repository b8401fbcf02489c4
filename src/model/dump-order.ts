// kernelDumpOrder: the order in which the kernel lists services (ip_vs_genl_dump_services in
// ip_vs_ctl.c walks ip_vs_svc_table bucket by bucket, then ip_vs_svc_fwm_table; each bucket is an
// hlist filled with hlist_add_head_rcu, so the newest service of a bucket comes first). This is
// what `ipvsadm -L --nosort` shows. The kernel also XORs the netns pointer (>> 8) into the hash;
// we take that term as 0, so the order is deterministic.

import type { Service } from './service.ts';

/** IP_VS_SVC_TAB_BITS. */
const SVC_TAB_BITS = 8;
const SVC_TAB_MASK = (1 << SVC_TAB_BITS) - 1;

/** ip_vs_svc_hashkey() for IPv4 (host-order address, as after ntohl). */
export function svcHashKey(protocol: number, addr: number, port: number): number {
  return (protocol ^ (addr >>> 0) ^ (port >>> SVC_TAB_BITS) ^ port) & SVC_TAB_MASK;
}

/** ip_vs_svc_fwm_hashkey(). */
export function svcFwmHashKey(fwmark: number): number {
  return fwmark & SVC_TAB_MASK;
}

/** `created` is in creation order; returns a new array in kernel dump order. */
export function kernelDumpOrder(created: readonly Service[]): Service[] {
  const keyed = created.map((svc, i) => ({
    svc,
    table: svc.fwmark === 0 ? 0 : 1,
    bucket: svc.fwmark === 0 ? svcHashKey(svc.protocol, svc.addr, svc.port) : svcFwmHashKey(svc.fwmark),
    age: i,
  }));
  keyed.sort((a, b) => a.table - b.table || a.bucket - b.bucket || b.age - a.age);
  return keyed.map((k) => k.svc);
}
