// The `interface` line of tsvsd.conf's [engine] section, in either address family:
//
//   interface eth0 owned 192.168.88.5,2001:db8:88::5 subnet 192.168.88.0/24,2001:db8:88::/64
//   interface eth1 subnet 192.168.99.0/24,2001:db8:99::5/64 gateway 192.168.99.1
//
// An address with a colon is IPv6 (src/lib/inet6.ts parses it as inet_pton does); the others are
// dotted quads. IPv6 owned addresses get neighbour discovery and ICMPv6 echo as IPv4 ones get ARP
// and ICMP; an IPv6 subnet written with a host address (2001:db8:99::5/64, the kernel's DIP6 as
// `ip -6 addr` shows it) is also the source of the neighbour solicitations on that prefix.

import { TsvsError } from '../lib/errors.ts';
import { parseDottedQuad } from '../lib/inet.ts';
import { parseInet6, type Inet6 } from '../lib/inet6.ts';
import type { PortConfig } from '../datapath/engine-config.ts';

export function configError(path: string, line: number, msg: string): TsvsError {
  return new TsvsError('ECONFIG', `${path}:${line}: ${msg}`);
}

export function addrList(path: string, line: number, v: string | undefined, what: string): number[] {
  if (v === undefined) throw configError(path, line, `${what} needs a value`);
  return v.split(',').map((s) => {
    const a = parseDottedQuad(s);
    if (a === null) throw configError(path, line, `${what}: not an IPv4 address: ${s}`);
    return a;
  });
}

/** The addresses of a comma-separated list, IPv4 and IPv6 apart. */
export function mixedAddrList(path: string, line: number, v: string | undefined, what: string): [number[], Inet6[]] {
  if (v === undefined) throw configError(path, line, `${what} needs a value`);
  const v4: number[] = [];
  const v6: Inet6[] = [];
  for (const s of v.split(',')) {
    if (s.includes(':')) {
      const a = parseInet6(s);
      if (a === null) throw configError(path, line, `${what}: not an IPv6 address: ${s}`);
      v6.push(a);
    } else v4.push(...addrList(path, line, s, what));
  }
  return [v4, v6];
}

function subnetList(path: string, line: number, v: string | undefined): [[number, number][], [Inet6, number][]] {
  if (v === undefined) throw configError(path, line, 'subnet needs a value');
  const v4: [number, number][] = [];
  const v6: [Inet6, number][] = [];
  for (const s of v.split(',')) {
    if (s.includes(':')) {
      const m = /^([0-9A-Fa-f:.]+)\/(\d{1,3})$/.exec(s);
      const a = m === null ? null : parseInet6(m[1]!);
      const len = m === null ? NaN : Number(m[2]);
      if (a === null || !(len >= 0 && len <= 128)) throw configError(path, line, `subnet: not an IPv6 prefix: ${s}`);
      v6.push([a, len]);
      continue;
    }
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(s);
    const a = m === null ? null : parseDottedQuad(m[1]!);
    const len = m === null ? NaN : Number(m[2]);
    if (a === null || !(len >= 0 && len <= 32)) throw configError(path, line, `subnet: not an IPv4 prefix: ${s}`);
    v4.push([a, len]);
  }
  return [v4, v6];
}

export function parseInterface(path: string, line: number, words: string[]): PortConfig {
  const name = words[1];
  if (name === undefined) throw configError(path, line, 'interface needs a name');
  const owned: number[] = [];
  const owned6: Inet6[] = [];
  const subnets: [number, number][] = [];
  const subnets6: [Inet6, number][] = [];
  let gateway = 0;
  let gateway6: Inet6 | undefined;
  for (let i = 2; i < words.length; i += 2) {
    const key = words[i]!;
    const val = words[i + 1];
    if (key === 'owned') {
      const [a, b] = mixedAddrList(path, line, val, 'owned');
      owned.push(...a);
      owned6.push(...b);
    } else if (key === 'subnet') {
      const [a, b] = subnetList(path, line, val);
      subnets.push(...a);
      subnets6.push(...b);
    } else if (key === 'gateway') {
      const [a, b] = mixedAddrList(path, line, val, 'gateway');
      if (a[0] !== undefined) gateway = a[0];
      if (b[0] !== undefined) gateway6 = b[0];
    } else throw configError(path, line, `unknown interface setting ${key} (owned, subnet, gateway)`);
  }
  if (owned6.length === 0 && subnets6.length === 0 && gateway6 === undefined) return { name, owned, subnets, gateway };
  return { name, owned, subnets, gateway, owned6, subnets6, ...(gateway6 !== undefined ? { gateway6 } : {}) };
}
