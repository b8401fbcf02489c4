// ServicesDb: /etc/services as getservbyname(3) and getservbyport(3) see it, for ipvsadm's
// service_to_port() (":http" on input) and port_to_service() (":http" in -L without -n).

import { readFileSync } from 'node:fs';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';

function protoName(protocol: number): string | null {
  switch (protocol) {
    case IPPROTO_TCP:
      return 'tcp';
    case IPPROTO_UDP:
      return 'udp';
    case IPPROTO_SCTP:
      return 'sctp';
    default:
      return null;
  }
}

export class ServicesDb {
  private readonly byName = new Map<string, number>();
  private readonly byPort = new Map<string, string>();

  /** Parses services(5) text: `name port/proto [aliases...] [# comment]`. */
  constructor(text: string) {
    for (const raw of text.split('\n')) {
      const hash = raw.indexOf('#');
      const line = hash >= 0 ? raw.slice(0, hash) : raw;
      const fields = line.trim().split(/\s+/);
      if (fields.length < 2) continue;
      const m = /^(\d+)\/(\w+)$/.exec(fields[1]!);
      if (m === null) continue;
      const port = Number(m[1]);
      if (port > 65535) continue;
      const proto = m[2]!;
      const names = [fields[0]!, ...fields.slice(2)];
      for (const n of names) {
        const k = `${n}/${proto}`;
        if (!this.byName.has(k)) this.byName.set(k, port);
      }
      // getservbyport returns the first entry for the port, by its official name.
      const pk = `${port}/${proto}`;
      if (!this.byPort.has(pk)) this.byPort.set(pk, fields[0]!);
    }
  }

  /** service_to_port(): the port of a service name for the protocol, or -1. */
  port(name: string, protocol: number): number {
    const p = protoName(protocol);
    if (p === null) return -1;
    return this.byName.get(`${name}/${p}`) ?? -1;
  }

  /** port_to_service(): the name of a port for the protocol, or null. */
  name(port: number, protocol: number): string | null {
    const p = protoName(protocol);
    if (p === null) return null;
    return this.byPort.get(`${port}/${p}`) ?? null;
  }

  static readonly EMPTY = new ServicesDb('');
}

let systemDb: ServicesDb | null = null;

/** /etc/services, read once; an empty database when the file is missing. */
export function systemServices(): ServicesDb {
  if (systemDb === null) {
    try {
      systemDb = new ServicesDb(readFileSync('/etc/services', 'utf8'));
    } catch {
      systemDb = ServicesDb.EMPTY;
    }
  }
  return systemDb;
}
