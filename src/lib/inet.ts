// inet: IP protocol numbers (include/uapi/linux/in.h), and IPv4 text <-> uint32 at the
// control-plane edges: glibc inet_aton() and inet_ntoa() semantics, which is what ipvsadm uses
// to read -t/-u/-r/-M and to print masks (ipvsadm.c parse_service, parse_netmask,
// print_service_entry).

import { isIPv6 } from 'node:net';

/** IPPROTO_* (include/uapi/linux/in.h): the IPv4 header's protocol field, and a service's. */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;
/** ICMPv6 (RFC 4443): the upper-layer "next header" value, include/uapi/linux/in6.h. */
export const IPPROTO_ICMPV6 = 58;

/** Per glibc inet_aton: the last part of an a / a.b / a.b.c / a.b.c.d form may fill the rest. */
const LAST_PART_MAX = [0xffffffff, 0xffffff, 0xffff, 0xff] as const;

/** One part as C strtoul(base 0) accepts it, with nothing left over: 0x1f, 017, 12. */
const PART = /^(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;

function partValue(p: string): number {
  if (p.length > 1 && (p[1] === 'x' || p[1] === 'X')) return parseInt(p.slice(2), 16);
  if (p.length > 1 && p[0] === '0') return parseInt(p, 8);
  return parseInt(p, 10);
}

/**
 * inet_aton(3): "192.168.1.1", "10.1" (= 10.0.0.1), "0x7f.1", "017.0.0.1" ... to a host-order
 * uint32, or null when glibc would return 0 (invalid).
 */
export function inetAton(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4) return null;
  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (!PART.test(p)) return null;
    const v = partValue(p);
    if (i < parts.length - 1) {
      if (v > 0xff) return null;
      value = value * 256 + v;
    } else {
      if (v > LAST_PART_MAX[i]!) return null;
      // The last part fills the remaining (4 - i) bytes.
      value = value * 2 ** (8 * (4 - i)) + v;
    }
  }
  return value >>> 0;
}

/** inet_ntoa(3): host-order uint32 to dotted quad. */
export function ipToString(addr: number): string {
  const a = addr >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Strict dotted quad (what our wire structs carry), or null. */
export function parseDottedQuad(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return null;
    v = v * 256 + part;
  }
  return v >>> 0;
}

/** True for what inet_pton(AF_INET6) accepts (ipvsadm tries it before IPv4 in parse_service). */
export function isIpv6Literal(s: string): boolean {
  return isIPv6(s);
}
