// ServiceTable: the virtual service table and its control operations, mirroring
// net/netfilter/ipvs/ip_vs_ctl.c (ip_vs_genl_set_cmd, ip_vs_add_service, ip_vs_edit_service,
// ip_vs_del_service, ip_vs_flush, ip_vs_zero_service / ip_vs_zero_all), with the kernel's errno
// returns turned into ipvsadm's messages. The data plane reads it through lookup(): an immutable
// ServiceLookup built at the first lookup after a change, so a batch of changes (a reload's
// thousand synchronous steps) costs one build. Firewall-mark services (-f) are kept, listed and
// saved as ipvsadm does; no packet reaches them, as the engine does not mark packets.

import { AF_INET, AF_INET6, type Dest } from './dest.ts';
import type { Inet6 } from '../lib/inet6.ts';
import { Service, SVC_F_HASHED, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from './service.ts';
import type { SchedulerFactory } from './scheduler.ts';
import { ServiceLookup } from './service-lookup.ts';
import { DestTrash } from './dest-trash.ts';
import { addDest, deleteDest, editDest } from './dest-ops.ts';
import { checkDestFamily, checkNetmask6, checkScheduler, releaseDests, zeroServiceCounters } from './service-ops.ts';
import { ipvsError } from './ipvs-errors.ts';
import { serviceIdentity, type DestSpec, type ServiceKey, type ServiceRule, type ServiceSpec } from './rule-spec.ts';
import { kernelDumpOrder } from './dump-order.ts';
import { destSpecOf, specOf } from './spec-of.ts';

const SCHED_FLAGS = SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3;

export type TableChange =
  | { readonly kind: 'add-service' | 'edit-service' | 'del-service'; readonly svc: Service }
  | { readonly kind: 'add-dest' | 'edit-dest' | 'del-dest'; readonly svc: Service; readonly dest: Dest }
  | { readonly kind: 'zero'; readonly svc: Service };

export interface ServiceTableOptions {
  /** Scheduler registry (ip_vs_scheduler_get), injected: src/sched/registry.ts's findScheduler. */
  readonly findScheduler: (name: string) => SchedulerFactory | undefined;
  /** Clock for the dest trash; defaults to Date.now. */
  readonly nowMs?: () => number;
}

export class ServiceTable {
  /** In creation order; the kernel's dump order is derived from it (kernelDumpOrder). */
  private list: Service[] = [];
  /** The services of `list` by serviceIdentity(). */
  private readonly byIdentity = new Map<string, Service>();
  /** The data plane's view of `list`; null after a change until the next lookup builds it. */
  private view: ServiceLookup | null = new ServiceLookup([]);
  /** The IPv6 data path's view (AF_INET6 services only); null after a change, as `view`. */
  private view6: ServiceLookup | null = new ServiceLookup([]);
  private readonly trash = new DestTrash();
  private readonly findSched: (name: string) => SchedulerFactory | undefined;
  private readonly nowMs: () => number;
  private readonly listeners = new Set<(c: TableChange) => void>();
  /** Bumped on every successful change. */
  generation = 0;

  constructor(opts: ServiceTableOptions) {
    this.findSched = opts.findScheduler;
    this.nowMs = opts.nowMs ?? Date.now;
  }

  // ---- data plane ------------------------------------------------------------------------

  /** ip_vs_service_find(): exact service, else the port-zero service of vaddr. Allocation-free. */
  lookup(protocol: number, vaddr: number, vport: number): Service | null {
    return (this.view ?? this.buildView()).lookup(protocol, vaddr, vport);
  }

  /** lookup() for an IPv6 destination, its four words. Allocation-free. */
  lookup6(protocol: number, vaddr6: Uint32Array, vport: number): Service | null {
    return (this.view6 ?? this.buildView6()).lookup6(protocol, vaddr6, vport);
  }

  /** The AF_INET service of a firewall mark. */
  lookupFwmark(fwmark: number): Service | null {
    return (this.view ?? this.buildView()).lookupFwmark(fwmark);
  }

  /** The AF_INET6 service of a firewall mark (__ip_vs_svc_fwm_find matches svc->af). */
  lookupFwmark6(fwmark: number): Service | null {
    return (this.view6 ?? this.buildView6()).lookupFwmark(fwmark);
  }

  // ---- queries -----------------------------------------------------------------------------
  /** The service with this identity (the lookup at the top of ip_vs_genl_set_cmd). */
  find(key: ServiceKey): Service | null {
    return this.byIdentity.get(serviceIdentity(key)) ?? null;
  }

  /** Services in creation order. */
  services(): readonly Service[] {
    return this.list;
  }

  /** Services in the order the kernel dumps them (what ipvsadm --nosort shows). */
  dumpOrder(): Service[] {
    return kernelDumpOrder(this.list);
  }

  /** Every service with its dests oldest first, so that re-adding them rebuilds the scan order. */
  toRules(): ServiceRule[] {
    return this.list.map((s) => ({ service: specOf(s), dests: [...s.dests].reverse().map(destSpecOf) }));
  }

  onChange(fn: (c: TableChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- services ----------------------------------------------------------------------------

  /** -A: ip_vs_add_service() behind IPVS_CMD_NEW_SERVICE. EEXIST, then ENOENT. */
  addService(spec: ServiceSpec): Service {
    checkNetmask6('add-service', spec);
    if (this.find(spec) !== null) throw ipvsError('add-service', 'EEXIST');
    const factory = checkScheduler('add-service', spec, this.findSched(spec.schedName));
    const sched = factory.create(spec.flags);
    const addr6 = spec.af === AF_INET6 ? (spec.addr6 ?? new Uint32Array(4)) : undefined;
    const svc = new Service(spec.af, spec.protocol, spec.addr, spec.port, spec.fwmark, spec.schedName, sched, addr6);
    svc.flags = spec.flags & ~SVC_F_HASHED;
    svc.timeoutSec = spec.timeoutSec;
    svc.netmask = spec.netmask >>> 0;
    sched.init(svc);
    this.list.push(svc);
    this.byIdentity.set(serviceIdentity(svc), svc);
    this.changed({ kind: 'add-service', svc });
    return svc;
  }

  /**
   * -E: ip_vs_edit_service(). Flags, timeout and netmask are replaced; a different scheduler is
   * unbound (done) and the new one bound (create + init). The kernel's sh and mh read the sched
   * flags per packet; ours take them at create(), so a change of -b alone also rebinds.
   */
  editService(spec: ServiceSpec): Service {
    checkNetmask6('edit-service', spec);
    const svc = this.find(spec);
    if (svc === null) throw ipvsError('edit-service', 'ESRCH');
    const factory = checkScheduler('edit-service', spec, this.findSched(spec.schedName));
    const rebind = factory.name !== svc.schedName || (spec.flags & SCHED_FLAGS) !== (svc.flags & SCHED_FLAGS);
    svc.flags = spec.flags & ~SVC_F_HASHED;
    svc.timeoutSec = spec.timeoutSec;
    svc.netmask = spec.netmask >>> 0;
    if (rebind) {
      svc.sched.done(svc);
      const sched = factory.create(svc.flags);
      svc.sched = sched;
      svc.schedName = factory.name;
      sched.init(svc);
    }
    this.changed({ kind: 'edit-service', svc });
    return svc;
  }

  /** -D: ip_vs_del_service(). Its dests go to the trash without del_dest calls (svcupd = 0). */
  deleteService(key: ServiceKey): Service {
    const svc = this.find(key);
    if (svc === null) throw ipvsError('del-service', 'ESRCH');
    this.unlink(svc);
    this.changed({ kind: 'del-service', svc });
    return svc;
  }

  /** -C: ip_vs_flush(). */
  clear(): void {
    for (const svc of this.dumpOrder()) {
      this.unlink(svc);
      this.changed({ kind: 'del-service', svc });
    }
  }

  /** -Z: ip_vs_zero_service(), or ip_vs_zero_all() when key is null. Returns the services zeroed. */
  zero(key: ServiceKey | null): Service[] {
    const svc = key === null ? null : this.find(key);
    if (key !== null && svc === null) throw ipvsError('zero-service', 'ESRCH');
    const targets = svc === null ? this.dumpOrder() : [svc];
    for (const svc of targets) {
      zeroServiceCounters(svc);
      this.emit({ kind: 'zero', svc });
    }
    return targets;
  }

  // ---- real servers ------------------------------------------------------------------------

  /** -a: ESRCH ("Service not defined") if the service is missing, then ip_vs_add_dest(). */
  addDest(key: ServiceKey, spec: DestSpec): Dest {
    const svc = this.serviceFor('add-dest', key);
    checkDestFamily('add-dest', svc, spec);
    this.expireTrash();
    const dest = addDest(svc, spec, this.trash);
    this.changed({ kind: 'add-dest', svc, dest });
    return dest;
  }

  /** -e: ip_vs_edit_dest(). */
  editDest(key: ServiceKey, spec: DestSpec): Dest {
    const svc = this.serviceFor('edit-dest', key);
    checkDestFamily('edit-dest', svc, spec);
    const dest = editDest(svc, spec);
    this.changed({ kind: 'edit-dest', svc, dest });
    return dest;
  }

  /** -d: ip_vs_del_dest(). */
  deleteDest(key: ServiceKey, addr: number, port: number, af: number = AF_INET, addr6?: Inet6): Dest {
    const svc = this.serviceFor('del-dest', key);
    const dest = deleteDest(svc, af, addr, port, this.trash, addr6);
    this.changed({ kind: 'del-dest', svc, dest });
    return dest;
  }

  /** ip_vs_dest_trash_expire(): frees trashed dests idle for 120 s; call it now and then. */
  expireTrash(): Dest[] {
    return this.trash.expire(this.nowMs());
  }

  // ---- internals ---------------------------------------------------------------------------

  private serviceFor(op: 'add-dest' | 'edit-dest' | 'del-dest', key: ServiceKey): Service {
    const svc = this.find(key);
    if (svc === null) throw ipvsError(op, 'ESRCH');
    return svc;
  }

  /** ip_vs_unlink_service() + __ip_vs_del_service(). */
  private unlink(svc: Service): void {
    releaseDests(svc, this.trash);
    this.list = this.list.filter((s) => s !== svc);
    this.byIdentity.delete(serviceIdentity(svc));
  }

  /** AF_INET services only: an IPv6 service's `addr` is a fold, which an IPv4 address could equal. */
  private buildView(): ServiceLookup {
    this.view = new ServiceLookup(this.list.filter((s) => s.af === AF_INET));
    return this.view;
  }

  private buildView6(): ServiceLookup {
    this.view6 = new ServiceLookup(this.list.filter((s) => s.af === AF_INET6));
    return this.view6;
  }

  private changed(c: TableChange): void {
    this.view = null;
    this.view6 = null;
    this.generation++;
    this.emit(c);
  }

  private emit(c: TableChange): void {
    for (const fn of this.listeners) fn(c);
  }
}
