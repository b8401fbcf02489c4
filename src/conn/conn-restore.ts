// Restoring the connection table from columns a previous process left in its state file
// (conn-layout.ts): what kernel IPVS never needs, since ip_vs_conn_tab outlives ipvsadm. Every
// entry is checked and rebound to the rules this process loaded; what cannot be checked is
// dropped and counted, so a restored table never forwards where the old one would not have.
//
// An entry is kept when all hold:
//   LIVE and COMMITTED (conn-flags.ts; a creation cut short by SIGKILL lacks COMMITTED)
//   not ONE_PACKET (never hashed; it expires right after its packet)
//   its timer is still running: now < expiresMs (an expired entry is what the old process would
//     have freed on its next expire() run)
//   protocol TCP or UDP (0 for fwmark templates), its service (svcProtocol, svcAddr, svcPort,
//     svcFwmark) is loaded, and that service has an available dest daddr:destPort with the
//     same forwarding method
//   full NAT: laddr is a configured local address and lport is in range and not held twice
// The family decides only how an entry names its service, its real server and its local address
// (RestoreMatch): numbers here, 128-bit words for the IPv6 table (conn-restore6.ts).
// Then: controlling templates are relinked (nControl recounted), the dests' counters rebuilt as
// ip_vs_bind_dest counts, the indexes, the free list and the embryonic list rebuilt, and every
// kept entry re-armed at its own expiresMs (an absolute Date.now() time, shared by processes).

import { DEST_F_AVAILABLE, type Dest } from '../model/dest.ts';
import type { Service } from '../model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import {
  CONN_F_COMMITTED,
  CONN_F_FWD_MASK,
  CONN_F_HASHED,
  CONN_F_HASHED_OUT,
  CONN_F_LIVE,
  CONN_F_LPORT_POOLED,
  CONN_F_ONE_PACKET,
  CONN_F_TEMPLATE,
} from './conn-flags.ts';
import { countBound } from './bind-dest.ts';
import type { ConnManager } from './conn-manager.ts';
import { TCP_STATE_EMBRYONIC } from './proto-tcp.ts';

/** The loaded service with this identity, or null (ServiceTable.find with a ServiceKey). */
export type ServiceResolver = (protocol: number, addr: number, port: number, fwmark: number) => Service | null;

export interface RestoreStats {
  /** Entries carried over: connections and templates. */
  kept: number;
  connections: number;
  templates: number;
  /** Dropped: LIVE but not COMMITTED, or ONE_PACKET, or an unknown protocol. */
  torn: number;
  /** Dropped: the timer had run out. */
  expired: number;
  /** Dropped: service gone. */
  noService: number;
  /** Dropped: real server gone, unavailable, or with another forwarding method. */
  noDest: number;
  /** Dropped: full NAT local address or port not in this configuration (or held twice). */
  noLocalPort: number;
}

/** How a restored entry names what it was bound to: one per address family. */
export interface RestoreMatch {
  /** False when the entry's fields disagree among themselves (torn: dropped and counted so). */
  whole(id: number): boolean;
  /** The loaded service entry `id` was bound to (its svc* columns), or null. */
  service(id: number): Service | null;
  /** Whether `d` is entry id's real server: its address and destPort. */
  isDest(id: number, d: Dest): boolean;
  /** Whether a full NAT entry's local address is one of this process's (before its pool takes the port). */
  localAddr(id: number): boolean;
}

/** The IPv4 table's RestoreMatch: addresses are the numbers in the columns. */
export function ipv4Match(m: ConnManager, resolve: ServiceResolver): RestoreMatch {
  const t = m.table;
  return {
    whole: () => true,
    service: (id) => resolve(t.svcProtocol[id]!, t.svcAddr[id]!, t.svcPort[id]!, t.svcFwmark[id]!),
    isDest: (id, d) => d.addr === t.daddr[id] && d.port === t.destPort[id],
    localAddr: () => true,
  };
}

function findDest(svc: Service, id: number, match: RestoreMatch): Dest | null {
  for (const d of svc.dests) if (match.isDest(id, d)) return d;
  return null;
}

/** Rebuild `m`'s table from its columns (a freshly attached state file). Run once, before traffic. */
export function restoreConns(m: ConnManager, resolve: ServiceResolver, nowMs: number): RestoreStats {
  return restoreEntries(m, ipv4Match(m, resolve), nowMs);
}

/** restoreConns for a table of either family, its entries matched by `match`. */
export function restoreEntries(m: ConnManager, match: RestoreMatch, nowMs: number): RestoreStats {
  const t = m.table;
  const st: RestoreStats = {
    kept: 0,
    connections: 0,
    templates: 0,
    torn: 0,
    expired: 0,
    noService: 0,
    noDest: 0,
    noLocalPort: 0,
  };
  const drop = (id: number): void => {
    t.flags[id] = 0;
    t.dest[id] = null;
    t.svc[id] = null;
  };
  for (let id = 0; id < t.capacity; id++) {
    const f = t.flags[id]!;
    t.dest[id] = null;
    t.svc[id] = null;
    if ((f & CONN_F_LIVE) === 0) {
      t.flags[id] = 0;
      continue;
    }
    const proto = t.protocol[id]!;
    const tpl = (f & CONN_F_TEMPLATE) !== 0;
    if (
      (f & CONN_F_COMMITTED) === 0 ||
      (f & CONN_F_ONE_PACKET) !== 0 ||
      !(proto === IPPROTO_TCP || proto === IPPROTO_UDP || (tpl && proto === 0)) ||
      !match.whole(id)
    ) {
      st.torn++;
      drop(id);
      continue;
    }
    const exp = t.expiresMs[id]!;
    if (!(exp > nowMs)) {
      st.expired++;
      drop(id);
      continue;
    }
    const svc = match.service(id);
    if (svc === null) {
      st.noService++;
      drop(id);
      continue;
    }
    const dest = findDest(svc, id, match);
    if (
      dest === null ||
      (dest.flags & DEST_F_AVAILABLE) === 0 ||
      (dest.fwd & CONN_F_FWD_MASK) !== (f & CONN_F_FWD_MASK)
    ) {
      st.noDest++;
      drop(id);
      continue;
    }
    if (
      (f & CONN_F_LPORT_POOLED) !== 0 &&
      (m.fnat === null || !match.localAddr(id) || !m.fnat.take(t.laddr[id]!, t.lport[id]!))
    ) {
      st.noLocalPort++;
      drop(id);
      continue;
    }
    t.dest[id] = dest;
    t.svc[id] = svc;
  }
  m.fnat?.rebuildRings();
  // Controlling entries: a link to an entry that did not survive (or is free) is cut.
  for (let id = 0; id < t.capacity; id++) t.nControl[id] = 0;
  for (let id = 0; id < t.capacity; id++) {
    if (t.dest[id] === null) continue;
    const ct = t.control[id]!;
    if (ct < 0) continue;
    if (ct >= t.capacity || t.dest[ct] === null || ct === id) t.control[id] = -1;
    else t.nControl[ct] = t.nControl[ct]! + 1;
  }
  t.rebuildFreeList();
  const emb = t.embryonic;
  for (let id = 0; id < t.capacity; id++) {
    const dest = t.dest[id];
    if (dest === null || dest === undefined) {
      t.control[id] = -1;
      continue;
    }
    const f = t.flags[id]!;
    countBound(t, id, dest, t.svc[id]!);
    t.flags[id] = f & ~(CONN_F_HASHED | CONN_F_HASHED_OUT);
    if (f & CONN_F_HASHED) t.hashIn(id);
    if (f & CONN_F_HASHED_OUT) t.hashOut(id);
    const tpl = (f & CONN_F_TEMPLATE) !== 0;
    if (!tpl && t.protocol[id] === IPPROTO_TCP && TCP_STATE_EMBRYONIC[t.state[id]!] === 1) emb.link(id);
    m.expiry.wheel.arm(id, t.expiresMs[id]!);
    st.kept++;
    if (tpl) st.templates++;
    else st.connections++;
  }
  return st;
}
