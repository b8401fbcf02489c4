// Restoring the IPv6 connection table (ConnTable6, conn-table6.ts) from its state file
// (conn-layout6.ts): restoreEntries (conn-restore.ts) with the checks made on 128-bit addresses.
// The folds in the shared columns only hash; as ip_vs_addr_equal decides after the kernel's hash,
// the four words decide here which service, real server and local address an entry had, so an
// entry never rebinds to another address that shares its fold.
//
// On top of restoreConns' checks an IPv6 entry is torn when a fold column is not the fold of its
// words: ConnManager6 stores the words right after the entry is committed, and a kill in between
// leaves the words of the slot's previous entry.

import { AF_INET6, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import type { ConnManager6 } from './conn-manager6.ts';
import { restoreEntries, type RestoreMatch, type RestoreStats } from './conn-restore.ts';

/** The loaded IPv6 service with this identity (its address as four words), or null. */
export type ServiceResolver6 = (protocol: number, addr6: Uint32Array, port: number, fwmark: number) => Service | null;

function fold(col: Uint32Array, id: number): number {
  const k = id << 2;
  return (col[k]! ^ col[k + 1]! ^ col[k + 2]! ^ col[k + 3]!) >>> 0;
}

function same(col: Uint32Array, id: number, w: Uint32Array): boolean {
  const k = id << 2;
  return col[k] === w[0] && col[k + 1] === w[1] && col[k + 2] === w[2] && col[k + 3] === w[3];
}

/** The IPv6 table's RestoreMatch, over the 128-bit columns of cm.t6. */
export function ipv6Match(cm: ConnManager6, resolve: ServiceResolver6): RestoreMatch {
  const t6 = cm.t6;
  const t = t6.table;
  return {
    whole: (id) =>
      fold(t6.caddr6, id) === t.caddr[id] &&
      fold(t6.vaddr6, id) === t.vaddr[id] &&
      fold(t6.daddr6, id) === t.daddr[id] &&
      fold(t6.laddr6, id) === t.laddr[id] &&
      fold(t6.svcAddr6, id) === t.svcAddr[id],
    service: (id) =>
      resolve(t.svcProtocol[id]!, t6.svcAddr6.slice(id << 2, (id << 2) + 4), t.svcPort[id]!, t.svcFwmark[id]!),
    isDest: (id, d: Dest) => d.af === AF_INET6 && d.port === t.destPort[id] && same(t6.daddr6, id, d.addr6),
    localAddr: (id) => same(t6.laddr6, id, cm.laddrs.byFold(t.laddr[id]!)),
  };
}

/**
 * Rebuild cm's table from its columns (a freshly attached IPv6 state file), as restoreConns does
 * for IPv4. The next hops start unresolved: they index the previous process's neighbour table.
 */
export function restoreConns6(cm: ConnManager6, resolve: ServiceResolver6, nowMs: number): RestoreStats {
  cm.t6.hopIn.fill(0);
  cm.t6.hopOut.fill(0);
  return restoreEntries(cm.conns, ipv6Match(cm, resolve), nowMs);
}
