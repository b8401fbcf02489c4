// The steps of ip_vs_ctl.c's service commands that ServiceTable (service-table.ts) composes: the
// argument checks it makes before it changes anything (each refusal the kernel's errno, turned
// into ipvsadm's message by ipvsError), ip_vs_zero_service()'s counter reset and
// __ip_vs_del_service()'s release of the dests to the trash.

import { AF_INET, AF_INET6, DEST_F_AVAILABLE, FWD_TUNNEL } from './dest.ts';
import type { DestTrash } from './dest-trash.ts';
import type { Service } from './service.ts';
import type { SchedulerFactory } from './scheduler.ts';
import { zeroDestCounters } from './dest-ops.ts';
import { ipvsError } from './ipvs-errors.ts';
import type { DestSpec, ServiceSpec } from './rule-spec.ts';

/** ip_vs_add_service() / ip_vs_edit_service(): an IPv6 service's netmask is a prefix length 1..128. */
export function checkNetmask6(op: 'add-service' | 'edit-service', spec: ServiceSpec): void {
  if (spec.af === AF_INET6 && !(spec.netmask >= 1 && spec.netmask <= 128)) {
    throw ipvsError(op, 'EINVAL', 'IPv6 persistence prefix length out of 1..128');
  }
}

/**
 * ip_vs_genl_set_cmd() (ip_vs_ctl.c) for every dest command but delete: a real server of
 * another family than its service is EAFNOSUPPORT unless AF_INET or AF_INET6
 * (ip_vs_is_af_valid), and EINVAL unless it is forwarded by tunnel ("We are able to forward
 * this"). The kernel's third refusal, a mixed pool while the sync daemon runs ("The
 * synchronization protocol is incompatible with mixed family services"), is not made: tsvs's
 * sync codec skips IPv6 entries, so that pool's IPv6 connections are not synced at all.
 */
export function checkDestFamily(op: 'add-dest' | 'edit-dest', svc: Service, spec: DestSpec): void {
  if (spec.af !== AF_INET && spec.af !== AF_INET6) throw ipvsError(op, 'EAFNOSUPPORT');
  if (spec.af !== svc.af && spec.fwd !== FWD_TUNNEL) {
    throw ipvsError(op, 'EINVAL', 'a real server of another address family needs tunnel forwarding');
  }
}

/**
 * ip_vs_add_service() / ip_vs_edit_service(): the scheduler must exist (ip_vs_scheduler_get),
 * and the persistence engine too; tsvs has none (ip_vs_pe_getbyname always fails).
 */
export function checkScheduler(
  op: 'add-service' | 'edit-service',
  spec: ServiceSpec,
  factory: SchedulerFactory | undefined,
): SchedulerFactory {
  if (factory === undefined) throw ipvsError(op, 'ENOENT', `Scheduler module ip_vs_${spec.schedName} not found`);
  if (spec.peName !== '') throw ipvsError(op, 'ENOENT', `persistence engine module ip_vs_pe_${spec.peName} not found`);
  return factory;
}

/** ip_vs_zero_service(): the service's counters and its dests'. */
export function zeroServiceCounters(svc: Service): void {
  for (const d of svc.dests) zeroDestCounters(d);
  svc.conns = 0;
  svc.inPkts = 0;
  svc.outPkts = 0;
  svc.inBytes = 0;
  svc.outBytes = 0;
}

/** __ip_vs_del_service(): the scheduler unbound, every dest unavailable and in the trash. */
export function releaseDests(svc: Service, trash: DestTrash): void {
  svc.sched.done(svc);
  for (const d of svc.dests) {
    d.flags &= ~DEST_F_AVAILABLE;
    trash.put(svc, d);
  }
  svc.dests.length = 0;
}
