// The NAT lab's IPv6 side (`npm run lab -- demo --ipv6`): the same namespaces, dual-stack.
//
//   client  eth0 2001:db8:88::10/64, default via 2001:db8:88::5 (the VIP6, owned by tsvs)
//   lvs1    eth0 (tsvs owns 2001:db8:88::5 in userspace)
//           eth1 2001:db8:99::5/64 (DIP6, a kernel address: the real servers' gateway)
//   web1    eth1 2001:db8:99::100/64   web2 eth1 2001:db8:99::200/64   (default via the DIP6)
//
// Duplicate address detection is off in every namespace (accept_dad=0, and `nodad` on each
// address): an address is usable at once instead of after a second of DAD, and the lab's steps
// need no wait. lvs1's kernel does not forward IPv6 (forwarding=0), as for IPv4.

import { ip, nsExec } from './netns.ts';

export const CIP6 = '2001:db8:88::10';
export const VIP6 = '2001:db8:88::5';
export const DIP6 = '2001:db8:99::5';
export const RIP1_6 = '2001:db8:99::100';
export const RIP2_6 = '2001:db8:99::200';

/** The namespaces of a NAT lab, as LabTopology names them. */
export interface Ipv6Hosts {
  readonly client: string;
  readonly lvs: string;
  readonly web1: string;
  readonly web2: string;
  readonly sw: string;
}

/** Duplicate address detection off in ns: its addresses usable at once. */
export function noDad(ns: string): void {
  nsExec(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
}

/** Add the IPv6 addresses and routes to a NAT lab that is up (its links exist). */
export function ipv6Up(h: Ipv6Hosts): void {
  for (const ns of [h.client, h.lvs, h.web1, h.web2]) noDad(ns);
  // The switch floods multicast: the solicited-node groups tsvs's NS go to need no MLD snooping.
  ip('-n', h.sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
  ip('-n', h.client, '-6', 'addr', 'add', `${CIP6}/64`, 'dev', 'eth0', 'nodad');
  ip('-n', h.client, '-6', 'route', 'add', 'default', 'via', VIP6);
  nsExec(h.lvs, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0');
  ip('-n', h.lvs, '-6', 'addr', 'add', `${DIP6}/64`, 'dev', 'eth1', 'nodad');
  for (const [ns, rip] of [
    [h.web1, RIP1_6],
    [h.web2, RIP2_6],
  ] as const) {
    ip('-n', ns, '-6', 'addr', 'add', `${rip}/64`, 'dev', 'eth1', 'nodad');
    ip('-n', ns, '-6', 'route', 'add', 'default', 'via', DIP6);
  }
}

/** What the [engine] interface lines add for IPv6: the VIP6 and the prefix on eth0, the DIP6's prefix on eth1. */
export const IPV6_ENGINE = {
  eth0Owned: `,${VIP6}`,
  eth0Subnet: ',2001:db8:88::/64',
  eth1Subnet: `,${DIP6}/64`,
} as const;

/** The URL of the VIP6 for curl (brackets; -g keeps curl from globbing them). */
export const VIP6_URL = `http://[${VIP6}]/`;

/**
 * A client reached through a router over IPv6 (the DR and TUN labs): cip6 on the client's eth0,
 * the router's routerAddr6 on its eth0, host routes both ways. Host routes, not a prefix: a
 * prefix short enough to hold both addresses makes the client's its subnet-router anycast
 * address, which the forwarding router takes as its own (addrconf_join_anycast(),
 * net/ipv6/addrconf.c), and the client's replies would end there.
 */
export function routedClient6(client: string, router: string, cip6: string, routerAddr6: string): void {
  ip('-n', client, '-6', 'addr', 'add', `${cip6}/128`, 'dev', 'eth0', 'nodad');
  ip('-n', client, '-6', 'route', 'add', `${routerAddr6}/128`, 'dev', 'eth0');
  ip('-n', client, '-6', 'route', 'add', 'default', 'via', routerAddr6);
  ip('-n', router, '-6', 'addr', 'add', `${routerAddr6}/128`, 'dev', 'eth0', 'nodad');
  ip('-n', router, '-6', 'route', 'add', `${cip6}/128`, 'dev', 'eth0');
  nsExec(router, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
}

/** A DR or TUN real server: rip6/64 on eth1, the VIP6 on lo, default route via gw6. */
export function vipOnLo6(ns: string, rip6: string, gw6: string): void {
  ip('-n', ns, '-6', 'addr', 'add', `${rip6}/64`, 'dev', 'eth1', 'nodad');
  ip('-n', ns, '-6', 'addr', 'add', `${VIP6}/128`, 'dev', 'lo', 'nodad');
  ip('-n', ns, '-6', 'route', 'add', 'default', 'via', gw6);
}
