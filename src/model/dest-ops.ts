// Real-server operations on one service, mirroring ip_vs_add_dest(), ip_vs_edit_dest(),
// ip_vs_del_dest(), __ip_vs_update_dest(), ip_vs_new_dest() and __ip_vs_unlink_dest() in
// net/netfilter/ipvs/ip_vs_ctl.c, with their errno returns.

import {
  AF_INET6,
  DEST_F_AVAILABLE,
  DEST_F_OVERLOAD,
  Dest,
  destAddrIs,
  FWD_TUNNEL,
  TUN_F_NOCSUM,
  TUN_TYPE_GRE,
  TUN_TYPE_GUE,
  TUN_TYPE_IPIP,
} from './dest.ts';
import type { Service } from './service.ts';
import type { Inet6 } from '../lib/inet6.ts';
import type { DestSpec } from './rule-spec.ts';
import type { DestTrash } from './dest-trash.ts';
import { ipvsError, type IpvsOp } from './ipvs-errors.ts';

const ZERO6: Inet6 = new Uint32Array(4);

/** ip_vs_lookup_dest(): the dest of svc with this <af, addr, port>, and where it stands. */
export function findDestIndex(svc: Service, af: number, addr: number, port: number, addr6?: Inet6): number {
  const list = svc.dests;
  for (let i = 0; i < list.length; i++) {
    const d = list[i]!;
    if (d.port === port && destAddrIs(d, af, addr, addr6)) return i;
  }
  return -1;
}

/** The weight and threshold checks at the top of ip_vs_add_dest() / ip_vs_edit_dest(). */
function checkDestSpec(op: IpvsOp, spec: DestSpec): void {
  if (spec.weight < 0) throw ipvsError(op, 'ERANGE', 'server weight less than zero');
  if (spec.lThreshold > spec.uThreshold) {
    throw ipvsError(op, 'ERANGE', 'lower threshold is higher than upper threshold');
  }
  if (spec.fwd === FWD_TUNNEL) {
    const type = spec.tunType ?? TUN_TYPE_IPIP;
    if (type === TUN_TYPE_GRE) throw ipvsError(op, 'EINVAL', 'GRE tunnels are not supported by tsvs');
    if (type !== TUN_TYPE_IPIP && type !== TUN_TYPE_GUE) throw ipvsError(op, 'EINVAL', 'unknown tunnel type');
    // ip_vs_add_dest() / ip_vs_edit_dest(): "tunnel port is zero" for GUE.
    if (type === TUN_TYPE_GUE && (spec.tunPort ?? 0) === 0) throw ipvsError(op, 'EINVAL', 'tunnel port is zero');
  }
}

/**
 * inet_addr_type() must say RTN_LOCAL or RTN_UNICAST (ip_vs_new_dest()). Without the FIB we can
 * only rule out what is never unicast: 0.0.0.0/8 and 255.255.255.255 (RTN_BROADCAST) and
 * 224.0.0.0/4 (RTN_MULTICAST).
 */
export function isUnicastAddr(addr: number): boolean {
  const a = addr >>> 0;
  if (a >>> 24 === 0) return false;
  if (a === 0xffffffff) return false;
  if (a >>> 28 === 0xe) return false;
  return true;
}

/**
 * ip_vs_new_dest() for AF_INET6: EINVAL when ipv6_addr_type() lacks IPV6_ADDR_UNICAST (:: and
 * ff00::/8 multicast) or says IPV6_ADDR_LINKLOCAL (fe80::/10), unless the address is local,
 * which without the FIB we cannot know: those are refused.
 */
export function isUnicastAddr6(w: Inet6): boolean {
  if ((w[0]! | w[1]! | w[2]! | w[3]!) === 0) return false;
  if (w[0]! >>> 24 === 0xff) return false;
  if (w[0]! >>> 22 === 0xfe80 >>> 6) return false;
  return true;
}

/** zero the counters of one dest (ip_vs_zero_stats() on dest->stats). */
export function zeroDestCounters(d: Dest): void {
  d.conns = 0;
  d.inPkts = 0;
  d.outPkts = 0;
  d.inBytes = 0;
  d.outBytes = 0;
}

/** __ip_vs_update_dest(): apply the spec; `add` links the dest at the list head first. */
function updateDest(svc: Service, dest: Dest, spec: DestSpec, add: boolean): void {
  dest.weight = spec.weight;
  dest.fwd = spec.fwd;
  // __ip_vs_update_dest(): tun_type, tun_port and tun_flags are copied for every method.
  dest.tunType = spec.tunType ?? TUN_TYPE_IPIP;
  dest.tunPort = spec.tunPort ?? 0;
  dest.tunFlags = spec.tunFlags ?? TUN_F_NOCSUM;
  dest.flags |= DEST_F_AVAILABLE;
  if (spec.uThreshold === 0 || spec.uThreshold > dest.uThreshold) dest.flags &= ~DEST_F_OVERLOAD;
  dest.uThreshold = spec.uThreshold;
  dest.lThreshold = spec.lThreshold;
  if (add) {
    // list_add_rcu(&dest->n_list, &svc->destinations): the newest dest is scanned first.
    dest.renewSeq();
    svc.dests.unshift(dest);
    svc.sched.addDest(svc, dest);
  } else {
    svc.sched.updDest(svc, dest);
  }
}

/** ip_vs_add_dest(): EEXIST if present; reuse from the trash; else a new dest (EINVAL if not unicast). */
export function addDest(svc: Service, spec: DestSpec, trash: DestTrash): Dest {
  checkDestSpec('add-dest', spec);
  if (findDestIndex(svc, spec.af, spec.addr, spec.port, spec.addr6) >= 0) throw ipvsError('add-dest', 'EEXIST');
  const fromTrash = trash.take(svc, spec.af, spec.addr, spec.port, spec.addr6);
  if (fromTrash !== null) {
    // A dest bound to an older incarnation of the service starts its counters afresh.
    if (fromTrash.oldSvc !== svc) zeroDestCounters(fromTrash.dest);
    updateDest(svc, fromTrash.dest, spec, true);
    return fromTrash.dest;
  }
  const unicast = spec.af === AF_INET6 ? isUnicastAddr6(spec.addr6 ?? ZERO6) : isUnicastAddr(spec.addr);
  if (!unicast) throw ipvsError('add-dest', 'EINVAL', 'real server address not unicast');
  const dest = new Dest(spec.af, spec.addr, spec.port, spec.af === AF_INET6 ? (spec.addr6 ?? ZERO6) : undefined);
  updateDest(svc, dest, spec, true);
  return dest;
}

/** ip_vs_edit_dest(): ENOENT if absent; the scheduler sees upd_dest. */
export function editDest(svc: Service, spec: DestSpec): Dest {
  checkDestSpec('edit-dest', spec);
  const i = findDestIndex(svc, spec.af, spec.addr, spec.port, spec.addr6);
  if (i < 0) throw ipvsError('edit-dest', 'ENOENT');
  const dest = svc.dests[i]!;
  updateDest(svc, dest, spec, false);
  return dest;
}

/** ip_vs_del_dest(): unlink (not AVAILABLE any more), tell the scheduler, move to the trash. */
export function deleteDest(
  svc: Service,
  af: number,
  addr: number,
  port: number,
  trash: DestTrash,
  addr6?: Inet6,
): Dest {
  const i = findDestIndex(svc, af, addr, port, addr6);
  if (i < 0) throw ipvsError('del-dest', 'ENOENT');
  const dest = svc.dests[i]!;
  dest.flags &= ~DEST_F_AVAILABLE;
  svc.dests.splice(i, 1);
  svc.sched.delDest(svc, dest, i);
  trash.put(svc, dest);
  return dest;
}
