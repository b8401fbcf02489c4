// DrTopology: the classic LVS-DR lab (the LVS-HOWTO's "LVS-DR" chapter) in network namespaces:
// the director and the real servers share one segment, the real servers hold the VIP on lo and
// answer the client straight through the router, never through the director.
//
//   client  eth0 192.168.88.10/29, default via 192.168.88.9
//     | veth
//   router  eth0 192.168.88.9/29, eth1 192.168.99.1/24, ip_forward=1,
//           route 192.168.88.5/32 dev eth1 (the VIP is on the segment: the router ARPs for it)
//     | veth
//   sw99    bridge br0: the segment 192.168.99.0/24
//     | veth               | veth                        | veth
//   lvs1 eth0 192.168.99.5 (DIP)   web1 192.168.99.100   web2 192.168.99.200
//        tsvsd owns VIP 192.168.88.5  lo 192.168.88.5/32, arp_ignore=1, arp_announce=2,
//        in userspace                 default via 192.168.99.1 (the router, not the director)
//
// In: client -> router -> (ARP: VIP is lvs1's MAC) lvs1 -> (same IP packet, destination MAC of
// the chosen web) web. Out: web -> router -> client, from the VIP held on its lo.
// Dual-stack with up({ ipv6: true }) (DR6, ip_vs_dr_xmit_v6): the same picture with the client
// 2001:db8:88::10 behind the router's 2001:db8:88::11 (host routes on that link), the router's 2001:db8:99::1/64 and a
// route to the VIP6 2001:db8:88::5 on the segment, DIP6 2001:db8:99::5, the RIP6s ::100 and ::200
// with the VIP6 on lo. No sysctl plays arp_ignore's part for IPv6: ndisc_recv_ns()
// (net/ipv6/ndisc.c) looks the target up with ipv6_get_ifaddr(net, target, dev, 1), strict to the
// interface the NS came in on, so an address on lo is never advertised on eth1 (only anycast or
// proxy_ndp entries are, and the lab has neither).
// Counters (nft, tables `tsvslab`): the router counts requests and replies it forwards, lvs1
// counts replies that reach its eth0 (none should).

import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { addNetns, addSwitch, addVeth, ip, nsExec, sh } from './netns.ts';
import { CIP6, DIP6, noDad, RIP1_6, RIP2_6, routedClient6, VIP6, vipOnLo6 } from './ipv6.ts';
import { CIP, RIP1, RIP2, VIP, LabTopology, type LabOptions } from './topology.ts';

export const DR_DIP = '192.168.99.5';
export const ROUTER_CLIENT_SIDE = '192.168.88.9';
export const ROUTER_SEGMENT_SIDE = '192.168.99.1';
export const ROUTER6_CLIENT_SIDE = '2001:db8:88::11';
export const ROUTER6_SEGMENT_SIDE = '2001:db8:99::1';

export interface DrOptions extends LabOptions {
  /** arp_ignore=1/arp_announce=2 on web1 (default true); false shows why they are needed. */
  web1ArpIgnore?: boolean;
}

export class DrTopology extends LabTopology {
  readonly router: string;

  constructor(prefix = 'tsvs') {
    super(prefix);
    this.router = `${prefix}-router`;
  }

  override get namespaces(): string[] {
    return [this.client, this.router, this.lvs, this.web1, this.web2, this.sw];
  }

  override up(opts: DrOptions = {}): void {
    if (this.anyLeft()) this.down();
    mkdirSync(this.stateDir, { recursive: true });
    try {
      for (const n of this.namespaces) addNetns(n);
      addVeth(this.client, 'eth0', this.router, 'eth0');
      addVeth(this.router, 'eth1', this.sw, 'p-router');
      addVeth(this.lvs, 'eth0', this.sw, 'p-lvs1');
      addVeth(this.web1, 'eth1', this.sw, 'p-web1');
      addVeth(this.web2, 'eth1', this.sw, 'p-web2');
      addSwitch(this.sw, ['p-router', 'p-lvs1', 'p-web1', 'p-web2']);

      ip('-n', this.client, 'addr', 'add', `${CIP}/29`, 'dev', 'eth0');
      ip('-n', this.client, 'link', 'set', 'eth0', 'up');
      ip('-n', this.client, 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE);
      nsExec(this.client, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1');

      ip('-n', this.router, 'addr', 'add', `${ROUTER_CLIENT_SIDE}/29`, 'dev', 'eth0');
      ip('-n', this.router, 'addr', 'add', `${ROUTER_SEGMENT_SIDE}/24`, 'dev', 'eth1');
      ip('-n', this.router, 'link', 'set', 'eth0', 'up');
      ip('-n', this.router, 'link', 'set', 'eth1', 'up');
      ip('-n', this.router, 'route', 'add', `${VIP}/32`, 'dev', 'eth1', 'scope', 'link');
      nsExec(this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');

      ip('-n', this.lvs, 'addr', 'add', `${DR_DIP}/24`, 'dev', 'eth0');
      ip('-n', this.lvs, 'link', 'set', 'eth0', 'up');
      ip('-n', this.lvs, 'route', 'add', 'default', 'via', ROUTER_SEGMENT_SIDE);

      for (const [ns, rip, ignore] of [
        [this.web1, RIP1, opts.web1ArpIgnore ?? true],
        [this.web2, RIP2, true],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
        ip('-n', ns, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
        if (ignore) this.setArpIgnore(ns, true);
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'via', ROUTER_SEGMENT_SIDE);
      }
      this.ipv6 = opts.ipv6 === true;
      if (this.ipv6) this.ipv6Up();
      this.addCounters();
      this.startWeb(opts);
    } catch (e) {
      this.down();
      throw e;
    }
  }

  /** The IPv6 addresses and routes of the picture above (DR6). */
  private ipv6Up(): void {
    for (const ns of [this.client, this.router, this.lvs, this.web1, this.web2]) noDad(ns);
    // The switch floods multicast: the solicited-node groups NS go to need no MLD snooping.
    ip('-n', this.sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    routedClient6(this.client, this.router, CIP6, ROUTER6_CLIENT_SIDE);
    ip('-n', this.router, '-6', 'addr', 'add', `${ROUTER6_SEGMENT_SIDE}/64`, 'dev', 'eth1', 'nodad');
    ip('-n', this.router, '-6', 'route', 'add', `${VIP6}/128`, 'dev', 'eth1');
    nsExec(this.lvs, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0');
    ip('-n', this.lvs, '-6', 'addr', 'add', `${DIP6}/64`, 'dev', 'eth0', 'nodad');
    vipOnLo6(this.web1, RIP1_6, ROUTER6_SEGMENT_SIDE);
    vipOnLo6(this.web2, RIP2_6, ROUTER6_SEGMENT_SIDE);
  }

  /**
   * A real server's ARP behaviour for the VIP on its lo. arp_ignore=1: answer only for addresses
   * of the interface the request came in on (not the VIP on lo). arp_announce=2: as the sender of
   * its own requests, use an address of the outgoing interface (the RIP, never the VIP).
   * (net/ipv4/arp.c: arp_ignore(), arp_solicit(); the effective value is the maximum of `all` and
   * the device's.)
   */
  setArpIgnore(ns: string, on: boolean): void {
    const [ignore, announce] = on ? [1, 2] : [0, 0];
    for (const dev of ['all', 'eth1']) {
      nsExec(
        ns,
        'sysctl',
        '-qw',
        `net.ipv4.conf.${dev}.arp_ignore=${ignore}`,
        `net.ipv4.conf.${dev}.arp_announce=${announce}`,
      );
    }
  }

  /** The director's engine: one port on the segment, owning the VIP; DIP stays a kernel address. */
  override engineConfig(): string {
    const [owned6, subnet6] = this.ipv6 ? [`,${VIP6}`, `,${DIP6}/64`] : ['', ''];
    return `# eth0: the one segment. tsvs answers ARP (and NS) for ${VIP}${owned6} here; real servers are on-link.
interface eth0 owned ${VIP}${owned6} subnet ${DR_DIP}/24${subnet6} gateway ${ROUTER_SEGMENT_SIDE}
`;
  }

  /** Real servers answer on the VIP (held on their lo), so they listen on every address. */
  protected override webListenAddr(): string {
    return '0.0.0.0';
  }

  protected override webListenAddr6(): string {
    return '[::]';
  }

  private addCounters(): void {
    sh(
      'ip',
      ['netns', 'exec', this.router, 'nft', '-f', '-'],
      `table ip tsvslab {
  counter requests {}
  counter replies {}
  chain forwarded {
    type filter hook forward priority 0; policy accept;
    ip daddr ${VIP} tcp dport 80 counter name requests
    ip saddr ${VIP} tcp sport 80 counter name replies
  }
}
table ip6 tsvslab {
  counter requests {}
  counter replies {}
  chain forwarded {
    type filter hook forward priority 0; policy accept;
    ip6 daddr ${VIP6} tcp dport 80 counter name requests
    ip6 saddr ${VIP6} tcp sport 80 counter name replies
  }
}
`,
    );
    sh(
      'ip',
      ['netns', 'exec', this.lvs, 'nft', '-f', '-'],
      `table netdev tsvslab {
  counter replies {}
  chain received {
    type filter hook ingress device eth0 priority -500; policy accept;
    ip saddr ${VIP} tcp sport 80 counter name replies
    ip6 saddr ${VIP6} tcp sport 80 counter name replies
  }
}
`,
    );
  }

  /**
   * Packets counted so far: requests and replies the router forwarded (IPv4, or IPv6 with
   * family 'ip6'), replies lvs1 received (either family).
   */
  counters(family: 'ip' | 'ip6' = 'ip'): { routerRequests: number; routerReplies: number; directorReplies: number } {
    return {
      routerRequests: nftCounter(this.router, family, 'requests'),
      routerReplies: nftCounter(this.router, family, 'replies'),
      directorReplies: nftCounter(this.lvs, 'netdev', 'replies'),
    };
  }
}

export function nftCounter(ns: string, family: string, name: string): number {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'counter', family, 'tsvslab', name], {
    encoding: 'utf8',
  });
  const m = /packets (\d+)/.exec(r.stdout ?? '');
  if (m === null) throw new Error(`nft counter ${family} tsvslab ${name} in ${ns}: ${r.stderr}`);
  return Number(m[1]);
}
