// DestTrash: real servers removed from a service but maybe still referenced by connections
// (ipvs->dest_trash, ip_vs_trash_get_dest() and ip_vs_dest_trash_expire() in ip_vs_ctl.c).
// Re-adding the same server to the same service takes the old Dest back, so connections that
// still point at it and its counters carry on, as in the kernel.

import { destAddrIs, type Dest } from './dest.ts';
import { inet6Equal, type Inet6 } from '../lib/inet6.ts';
import type { Service } from './service.ts';

/** IP_VS_DEST_TRASH_PERIOD (include/net/ip_vs.h): 120 s without references before freeing. */
export const DEST_TRASH_PERIOD_MS = 120_000;

interface TrashEntry {
  readonly dest: Dest;
  /** The service the dest was bound to (dest->svc), kept to detect a re-created service. */
  readonly svc: Service;
  /** dest->protocol, dest->vaddr, dest->vport, dest->vfwmark at removal. */
  readonly protocol: number;
  readonly vaddr: number;
  readonly vport: number;
  readonly vfwmark: number;
  /** dest->idle_start: first time seen without references, 0 while referenced. */
  idleSinceMs: number;
}

/** What the kernel's atomic refcnt stands for here: connections and templates bound to it. */
function referenced(d: Dest): boolean {
  return d.activeConns + d.inactConns + d.persistConns > 0;
}

export class DestTrash {
  private entries: TrashEntry[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** __ip_vs_del_dest(): the unlinked dest goes to the head of the trash. */
  put(svc: Service, dest: Dest): void {
    this.entries.unshift({
      dest,
      svc,
      protocol: svc.protocol,
      vaddr: svc.addr,
      vport: svc.port,
      vfwmark: svc.fwmark,
      idleSinceMs: 0,
    });
  }

  /**
   * ip_vs_trash_get_dest(): the trashed dest for <af, addr, port> that belonged to a service
   * with the same identity as `svc`, removed from the trash; with the service object it had.
   */
  take(svc: Service, af: number, addr: number, port: number, addr6?: Inet6): { dest: Dest; oldSvc: Service } | null {
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      const d = e.dest;
      if (
        d.port === port &&
        destAddrIs(d, af, addr, addr6) &&
        e.vfwmark === svc.fwmark &&
        e.protocol === svc.protocol &&
        e.svc.af === svc.af &&
        (svc.fwmark !== 0 || (e.vaddr === svc.addr && inet6Equal(e.svc.addr6, svc.addr6) && e.vport === svc.port))
      ) {
        this.entries.splice(i, 1);
        return { dest: d, oldSvc: e.svc };
      }
    }
    return null;
  }

  /**
   * ip_vs_dest_trash_expire(): a dest without references is first marked idle, then freed once
   * it has stayed idle for DEST_TRASH_PERIOD_MS. Returns the freed dests.
   */
  expire(nowMs: number): Dest[] {
    const freed: Dest[] = [];
    this.entries = this.entries.filter((e) => {
      if (referenced(e.dest)) {
        e.idleSinceMs = 0;
        return true;
      }
      if (e.idleSinceMs === 0) {
        e.idleSinceMs = Math.max(1, nowMs);
        return true;
      }
      if (nowMs - e.idleSinceMs < DEST_TRASH_PERIOD_MS) return true;
      freed.push(e.dest);
      return false;
    });
    return freed;
  }

  clear(): void {
    this.entries = [];
  }
}
