// Names for listings without -n, as ipvsadm's addrport_to_anyname() makes them: the host from
// a reverse lookup (gethostbyaddr, here getnameinfo through dns.lookupService) else the number,
// the port from /etc/services (getservbyport) else the number. Lookups run in parallel before
// formatting and are bounded by one deadline: whatever has not answered prints as a number, so
// a dead resolver never hangs tsvsadm.

import { lookupService } from 'node:dns/promises';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { systemServices, type ServicesDb } from '../ipvsadm/services-db.ts';
import { RealTimers, untilDeadline, type Timers } from '../lib/timers.ts';

export interface Names {
  /** "host:port" for an address as text (dotted quad, or IPv6, which gets brackets). */
  addrPort(addr: string, port: number, protocol: number): string;
}

/** addrport_to_anyname()'s "%s%s%s:%u": brackets around an IPv6 address (only IPv6 text has a ':'). */
function bracketed(addr: string, host: string): string {
  return addr.includes(':') ? `[${host}]` : host;
}

/** FMT_NUMERIC: "%s%s%s:%u". */
export const NUMERIC_NAMES: Names = {
  addrPort: (addr, port) => `${bracketed(addr, addr)}:${port}`,
};

/** addrport_to_anyname() writes into malloc(60) with snprintf: at most 59 characters. */
const ANYNAME_MAX = 59;

export class ResolvedNames implements Names {
  private readonly hosts: ReadonlyMap<string, string>;
  private readonly services: ServicesDb;

  constructor(hosts: ReadonlyMap<string, string>, services: ServicesDb = systemServices()) {
    this.hosts = hosts;
    this.services = services;
  }

  addrPort(addr: string, port: number, protocol: number): string {
    const host = this.hosts.get(addr) ?? addr;
    const svc = this.services.name(port, protocol) ?? String(port);
    return `${bracketed(addr, host)}:${svc}`.slice(0, ANYNAME_MAX);
  }
}

/** Protocol number from a /proc/net/ip_vs_conn name (print_conn() in ipvsadm.c). */
export function protocolFromName(name: string): number {
  if (name === 'TCP') return IPPROTO_TCP;
  if (name === 'UDP') return IPPROTO_UDP;
  if (name === 'SCTP') return IPPROTO_SCTP;
  return 0;
}

export type ReverseLookup = (addr: string) => Promise<string | null>;

/** getnameinfo(NI_NAMEREQD): a name, or null when there is none. */
export const systemReverseLookup: ReverseLookup = async (addr) => {
  try {
    const r = await lookupService(addr, 0);
    return r.hostname;
  } catch {
    return null;
  }
};

export const DEFAULT_RESOLVE_TIMEOUT_MS = 1500;

/**
 * Reverse-resolves every address at once; returns the names found before the deadline, timed on
 * `timers` (real timers that keep the process alive by default; tests pass a manual clock).
 */
export async function resolveHostNames(
  addrs: Iterable<string>,
  timeoutMs: number = DEFAULT_RESOLVE_TIMEOUT_MS,
  reverse: ReverseLookup = systemReverseLookup,
  timers: Timers = new RealTimers({ unref: false }),
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(addrs)];
  if (unique.length === 0) return found;
  const all = Promise.all(
    unique.map(async (a) => {
      const name = await reverse(a);
      if (name !== null && name !== '') found.set(a, name);
    }),
  );
  await untilDeadline(all, timeoutMs, timers);
  // Names arriving after the deadline must not change what is printed.
  return new Map(found);
}
