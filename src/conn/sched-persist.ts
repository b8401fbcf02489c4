// schedPersist: scheduling for a persistent service, ip_vs_sched_persist (ip_vs_core.c) with
// ip_vs_check_template (ip_vs_conn.c): the client's template picks the real server until it
// expires. Runs per new connection, never per established packet; allocates nothing.

import { DEST_F_AVAILABLE } from '../model/dest.ts';
import { SVC_F_ONEPACKET, type Service } from '../model/service.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import type { SchedInput } from '../model/scheduler.ts';
import { DROP_CONN_TABLE_FULL, DROP_NO_DEST } from '../lib/drops.ts';
import { CONN_F_HASHED, CONN_F_ONE_PACKET, CONN_F_TEMPLATE } from './conn-flags.ts';
import type { ConnTable } from './conn-table.ts';
import { controlAdd, type ConnExpiry } from './expiry.ts';
import type { LocalAddrPool } from './port-pool.ts';
import { connNew } from './conn-new.ts';

const FTPPORT = 21;

/**
 * ip_vs_sched_persist: reuse the client's live template <proto, caddr & netmask, 0, vaddr,
 * vport> (vport 0 for port-zero and FTP services; proto 0 and vaddr = fwmark for fwmark
 * services), or schedule once and create one with the service's persistence timeout. The new
 * connection is controlled by the template, and the template's timer restarts.
 */
export function schedPersist(
  t: ConnTable,
  expiry: ConnExpiry,
  fnat: LocalAddrPool | null,
  expireQuiescentTemplate: boolean,
  svc: Service,
  inp: SchedInput,
): number {
  const snet = (inp.caddr & svc.netmask) >>> 0;
  let tproto = inp.protocol;
  let tvaddr = inp.vaddr;
  const tvport = templateVport(svc, inp);
  if (inp.vport !== svc.port && svc.fwmark !== 0) {
    tproto = 0; // IPPROTO_IP
    tvaddr = svc.fwmark >>> 0;
  }
  let ct = t.lookupTemplate(tproto, snet, tvaddr, tvport);
  if (ct < 0 || !checkTemplate(t, ct, expireQuiescentTemplate)) {
    ct = newTemplate(t, expiry, fnat, svc, inp, tproto, snet, tvaddr, tvport);
    if (ct < 0) return ct;
  }
  return persistConn(t, expiry, fnat, svc, inp, ct);
}

/** The template's vport: the packet's for the service port, 0 for port-zero and FTP services. */
export function templateVport(svc: Service, inp: SchedInput): number {
  return inp.vport === svc.port && svc.port !== FTPPORT ? inp.vport : 0;
}

/**
 * The template part of ip_vs_sched_persist when no live template matched: schedule once and
 * create <tproto, snet, 0, tvaddr, tvport> -> dest with the service's persistence timeout
 * (dport 0 for port-zero and FTP services). The template's id, or minus a drop reason.
 */
export function newTemplate(
  t: ConnTable,
  expiry: ConnExpiry,
  fnat: LocalAddrPool | null,
  svc: Service,
  inp: SchedInput,
  tproto: number,
  snet: number,
  tvaddr: number,
  tvport: number,
): number {
  const dest = svc.sched.schedule(svc, inp);
  if (dest === null) return -DROP_NO_DEST;
  const tdport = inp.vport === svc.port && svc.port !== FTPPORT ? dest.port : 0;
  const ct = connNew(t, expiry, fnat, tproto, snet, 0, tvaddr, tvport, tdport, CONN_F_TEMPLATE, dest, svc, inp.nowMs);
  if (ct < 0) return -DROP_CONN_TABLE_FULL;
  t.timeoutMs[ct] = svc.timeoutSec * 1000;
  return ct;
}

/**
 * The connection part of ip_vs_sched_persist: a new connection to template ct's dest (dport the
 * dest's port for the service port, else the packet's), controlled by ct, whose timer restarts.
 */
export function persistConn(
  t: ConnTable,
  expiry: ConnExpiry,
  fnat: LocalAddrPool | null,
  svc: Service,
  inp: SchedInput,
  ct: number,
): number {
  const dest = t.dest[ct]!;
  let dport = inp.vport;
  if (dport === svc.port && dest.port !== 0) dport = dest.port;
  const flags = (svc.flags & SVC_F_ONEPACKET) !== 0 && inp.protocol === IPPROTO_UDP ? CONN_F_ONE_PACKET : 0;
  const id = connNew(
    t,
    expiry,
    fnat,
    inp.protocol,
    inp.caddr,
    inp.cport,
    inp.vaddr,
    inp.vport,
    dport,
    flags,
    dest,
    svc,
    inp.nowMs,
  );
  if (id < 0) {
    expiry.put(ct, inp.nowMs);
    return id;
  }
  controlAdd(t, id, ct);
  expiry.put(ct, inp.nowMs);
  dest.conns++;
  svc.conns++;
  return id;
}

/**
 * ip_vs_check_template: a template whose dest was removed (not AVAILABLE), or is quiesced while
 * expire_quiescent_template is set, is made unfindable (dport = vport = 0xffff, cport = 0,
 * rehashed) and left to expire on its own timer.
 */
export function checkTemplate(t: ConnTable, ct: number, expireQuiescentTemplate: boolean): boolean {
  const dest = t.dest[ct];
  if (
    dest !== null &&
    dest !== undefined &&
    (dest.flags & DEST_F_AVAILABLE) !== 0 &&
    !(expireQuiescentTemplate && dest.weight === 0)
  ) {
    return true;
  }
  if (t.vport[ct] !== 0xffff && (t.flags[ct]! & CONN_F_HASHED) !== 0) {
    t.unhashIn(ct);
    t.dport[ct] = 0xffff;
    t.vport[ct] = 0xffff;
    t.cport[ct] = 0;
    t.hashIn(ct);
  }
  return false;
}
