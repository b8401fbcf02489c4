// TunTopology: the LVS-TUN lab (the LVS-HOWTO's "LVS-Tun" chapter) in network namespaces: the
// real servers sit on their own routed network, not on the director's segment; the director
// sends them each client packet inside an IPIP (or GUE) tunnel, and they answer the client
// straight through the router from the VIP they hold on lo.
//
//   client  eth0 192.168.88.10/29, default via 192.168.88.9
//     | veth
//   router  eth0 192.168.88.9/29, eth1 192.168.99.1/24, eth2 10.0.77.1/24, ip_forward=1,
//           route 192.168.88.5/32 dev eth1 (the VIP is on the director's segment)
//     | veth eth1                      | veth eth2
//   lvs1 eth0 192.168.99.5 (DIP),     sw99: bridge br0, the real servers' network 10.0.77.0/24
//        default via 192.168.99.1       | veth                  | veth
//        tsvsd owns VIP 192.168.88.5   web1 10.0.77.100        web2 10.0.77.200
//                                       lo 192.168.88.5/32, arp_ignore=1, arp_announce=2,
//                                       decapsulation on eth1 (tun-decap.ts), default via 10.0.77.1
//
// In: client -> router -> lvs1 -> (IPIP 192.168.99.5 -> 10.0.77.x) router -> web. Out: web ->
// router -> client, from the VIP.
// Dual-stack with up({ ipv6: true }) (ip_vs_tunnel_xmit_v6, ip6ip6): the client 2001:db8:88::10
// behind the router's 2001:db8:88::11 (host routes, as in dr-topology.ts), the router's
// 2001:db8:99::1/64 toward lvs1 (DIP6 2001:db8:99::5, tsvsd owns the VIP6 2001:db8:88::5) and
// 2001:db8:77::1/64 toward the real servers 2001:db8:77::100 and ::200, which hold the VIP6 on lo
// and take the outer IPv6 header off with the same decapsulation.
// Counters (nft, tables `tsvslab`, one per family): the router counts requests to the VIP,
// tunnelled packets toward the real servers and replies from the VIP; lvs1 counts replies that
// reach its eth0 (none should).

import { mkdirSync } from 'node:fs';
import { nftCounter, ROUTER_CLIENT_SIDE } from './dr-topology.ts';
import { addNetns, addSwitch, addVeth, ip, nsExec, sh } from './netns.ts';
import { CIP, VIP, LabTopology, type LabOptions } from './topology.ts';
import { CIP6, DIP6, noDad, routedClient6, VIP6, vipOnLo6 } from './ipv6.ts';
import { ROUTER6_CLIENT_SIDE } from './dr-topology.ts';
import { buildBpfDecap, kernelHasIpip, setUpDecap, type DecapKind } from './tun-decap.ts';

export const TUN_DIP = '192.168.99.5';
export const TUN_RIP1 = '10.0.77.100';
export const TUN_RIP2 = '10.0.77.200';
export const ROUTER_LVS_SIDE = '192.168.99.1';
export const ROUTER_RS_SIDE = '10.0.77.1';
export const TUN_RIP1_6 = '2001:db8:77::100';
export const TUN_RIP2_6 = '2001:db8:77::200';
export const ROUTER6_LVS_SIDE = '2001:db8:99::1';
export const ROUTER6_RS_SIDE = '2001:db8:77::1';

export interface TunOptions extends LabOptions {
  /** How the real servers decapsulate: the kernel's tunl0 where it has one (auto, IPv4 only), or tc BPF. */
  decap?: 'auto' | DecapKind;
}

export class TunTopology extends LabTopology {
  readonly router: string;
  /** What the real servers use to decapsulate (set by up()). */
  decap: DecapKind;

  constructor(prefix = 'tsvs') {
    super(prefix);
    this.router = `${prefix}-router`;
    this.decap = 'bpf';
  }

  override get namespaces(): string[] {
    return [this.client, this.router, this.lvs, this.web1, this.web2, this.sw];
  }

  override up(opts: TunOptions = {}): void {
    if (this.anyLeft()) this.down();
    mkdirSync(this.stateDir, { recursive: true });
    const want = opts.decap ?? 'auto';
    // ip6ip6 is taken off by the BPF program: the kernel's tunl0 carries IPv4 inner packets only.
    this.decap = want === 'auto' ? (opts.ipv6 !== true && kernelHasIpip() ? 'kernel' : 'bpf') : want;
    try {
      const obj = this.decap === 'bpf' ? buildBpfDecap(this.stateDir) : '';
      for (const n of this.namespaces) addNetns(n);
      addVeth(this.client, 'eth0', this.router, 'eth0');
      addVeth(this.router, 'eth1', this.lvs, 'eth0');
      addVeth(this.router, 'eth2', this.sw, 'p-router');
      addVeth(this.web1, 'eth1', this.sw, 'p-web1');
      addVeth(this.web2, 'eth1', this.sw, 'p-web2');
      addSwitch(this.sw, ['p-router', 'p-web1', 'p-web2']);

      ip('-n', this.client, 'addr', 'add', `${CIP}/29`, 'dev', 'eth0');
      ip('-n', this.client, 'link', 'set', 'eth0', 'up');
      ip('-n', this.client, 'route', 'add', 'default', 'via', ROUTER_CLIENT_SIDE);
      nsExec(this.client, 'sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1');

      ip('-n', this.router, 'addr', 'add', `${ROUTER_CLIENT_SIDE}/29`, 'dev', 'eth0');
      ip('-n', this.router, 'addr', 'add', `${ROUTER_LVS_SIDE}/24`, 'dev', 'eth1');
      ip('-n', this.router, 'addr', 'add', `${ROUTER_RS_SIDE}/24`, 'dev', 'eth2');
      for (const dev of ['eth0', 'eth1', 'eth2']) ip('-n', this.router, 'link', 'set', dev, 'up');
      ip('-n', this.router, 'route', 'add', `${VIP}/32`, 'dev', 'eth1', 'scope', 'link');
      nsExec(this.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');

      ip('-n', this.lvs, 'addr', 'add', `${TUN_DIP}/24`, 'dev', 'eth0');
      ip('-n', this.lvs, 'link', 'set', 'eth0', 'up');
      ip('-n', this.lvs, 'route', 'add', 'default', 'via', ROUTER_LVS_SIDE);

      for (const [ns, rip] of [
        [this.web1, TUN_RIP1],
        [this.web2, TUN_RIP2],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${rip}/24`, 'dev', 'eth1');
        ip('-n', ns, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
        // The VIP stays silent in ARP, as in DR (net/ipv4/arp.c: arp_ignore(), arp_solicit()).
        for (const dev of ['all', 'eth1']) {
          nsExec(ns, 'sysctl', '-qw', `net.ipv4.conf.${dev}.arp_ignore=1`, `net.ipv4.conf.${dev}.arp_announce=2`);
        }
        ip('-n', ns, 'link', 'set', 'eth1', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'via', ROUTER_RS_SIDE);
        setUpDecap(ns, 'eth1', this.decap, obj);
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

  /** The IPv6 addresses and routes of the picture above (ip6ip6). */
  private ipv6Up(): void {
    for (const ns of [this.client, this.router, this.lvs, this.web1, this.web2]) noDad(ns);
    // The switch floods multicast: the solicited-node groups NS go to need no MLD snooping.
    ip('-n', this.sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    routedClient6(this.client, this.router, CIP6, ROUTER6_CLIENT_SIDE);
    ip('-n', this.router, '-6', 'addr', 'add', `${ROUTER6_LVS_SIDE}/64`, 'dev', 'eth1', 'nodad');
    ip('-n', this.router, '-6', 'addr', 'add', `${ROUTER6_RS_SIDE}/64`, 'dev', 'eth2', 'nodad');
    ip('-n', this.router, '-6', 'route', 'add', `${VIP6}/128`, 'dev', 'eth1');
    nsExec(this.lvs, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0');
    ip('-n', this.lvs, '-6', 'addr', 'add', `${DIP6}/64`, 'dev', 'eth0', 'nodad');
    vipOnLo6(this.web1, TUN_RIP1_6, ROUTER6_RS_SIDE);
    vipOnLo6(this.web2, TUN_RIP2_6, ROUTER6_RS_SIDE);
  }

  /** The director's engine: one port on its segment, owning the VIP; the real servers via the router. */
  override engineConfig(): string {
    const [owned6, subnet6, gw6] = this.ipv6 ? [`,${VIP6}`, `,${DIP6}/64`, `,${ROUTER6_LVS_SIDE}`] : ['', '', ''];
    return `# eth0: the director's segment. tsvs answers ARP for ${VIP}${owned6} here; the real servers are
# routed (10.0.77.0/24 via ${ROUTER_LVS_SIDE}); tunnels leave from the DIP ${TUN_DIP}.
interface eth0 owned ${VIP}${owned6} subnet ${TUN_DIP}/24${subnet6} gateway ${ROUTER_LVS_SIDE}${gw6}
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
  counter tunnelled {}
  counter replies {}
  chain forwarded {
    type filter hook forward priority 0; policy accept;
    ip daddr ${VIP} tcp dport 80 counter name requests
    ip saddr ${TUN_DIP} ip daddr 10.0.77.0/24 ip protocol { 4, 17, 41 } counter name tunnelled
    ip saddr ${VIP} tcp sport 80 counter name replies
  }
}
table ip6 tsvslab {
  counter requests {}
  counter tunnelled {}
  counter replies {}
  chain forwarded {
    type filter hook forward priority 0; policy accept;
    ip6 daddr ${VIP6} tcp dport 80 counter name requests
    ip6 saddr ${DIP6} ip6 daddr 2001:db8:77::/64 ip6 nexthdr { 4, 17, 41 } counter name tunnelled
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
   * Packets counted so far by the router (requests, tunnelled, replies; IPv4, or IPv6 with family
   * 'ip6') and by lvs1 (replies of either family).
   */
  counters(family: 'ip' | 'ip6' = 'ip'): {
    routerRequests: number;
    routerTunnelled: number;
    routerReplies: number;
    directorReplies: number;
  } {
    return {
      routerRequests: nftCounter(this.router, family, 'requests'),
      routerTunnelled: nftCounter(this.router, family, 'tunnelled'),
      routerReplies: nftCounter(this.router, family, 'replies'),
      directorReplies: nftCounter(this.lvs, 'netdev', 'replies'),
    };
  }
}
