// tun6-demo: `npm run lab -- tun --ipv6`, the LVS-TUN lab dual-stack (tun-topology.ts with ipv6) as a
// guided run over IPv6: the real servers hold the VIP6 on lo and take ip6ip6 off with the tc BPF
// program, the TUN rules typed with IPv6 addresses (-i), 300 requests at wrr 1:2, the counters
// showing that the replies bypass the director and that each request went on in IPv6 from the
// DIP6 (next header 41, ip_vs_tunnel_xmit_v6), and a POST that meets ICMPv6 packet too big.

import { DIP6, VIP6, VIP6_URL } from './ipv6.ts';
import { type LabDaemon, say, shown, typed } from './lab-daemon.ts';
import { nsExec } from './netns.ts';
import { drive, ratioText } from './traffic.ts';
import { TUN_RIP1_6, TUN_RIP2_6, type TunTopology } from './tun-topology.ts';

/** The IPv6 walk-through on a TUN lab that is up with { ipv6: true } and tsvsd running. */
export function tun6Run(lab: TunTopology, d: LabDaemon): void {
  say('\nThe real servers decapsulate ip6ip6 with the tc BPF program on eth1 (its IPv6 branch,');
  say('bpf_skb_adjust_room with BPF_F_ADJ_ROOM_DECAP_L3_IPV6). Each holds the VIP6 on lo:');
  for (const ns of [lab.web1, lab.web2]) {
    shown(ns, 'ip -6 -br addr show dev lo', nsExec(ns, 'ip', '-6', '-br', 'addr', 'show', 'dev', 'lo'));
    shown(ns, 'ip -6 route show default', nsExec(ns, 'ip', '-6', 'route', 'show', 'default'));
  }

  const svc = `[${VIP6}]:80`;
  say('\nThe TUN rules over IPv6, as typed (-i: the client packet inside an outer IPv6 header):');
  typed(d, ['-A', '-t', svc, '-s', 'wrr']);
  typed(d, ['-a', '-t', svc, '-r', `[${TUN_RIP1_6}]:80`, '-i', '-w', '1']);
  typed(d, ['-a', '-t', svc, '-r', `[${TUN_RIP2_6}]:80`, '-i', '-w', '2']);
  typed(d, ['-Ln', '--tun-info']);

  say(`\n300 requests from the client to ${VIP6_URL}, a new connection each, scheduler wrr:`);
  say(`  ${ratioText(drive(lab.client, 300, VIP6_URL))}`);
  typed(d, ['-Ln', '--stats']);
  const c = lab.counters('ip6');
  say(`
OutPkts stays 0: no reply crosses the director. The nft counters (table ip6 tsvslab) agree:
  the router forwarded ${c.routerRequests} request packets to the VIP6, ${c.routerTunnelled} ip6ip6 packets from the
  DIP6 ${DIP6} to the real servers, and ${c.routerReplies} reply packets from the VIP6 straight to the
  client; the director's eth0 received ${c.directorReplies} reply packets.`);

  say('\nPath MTU: a full-size client segment (1500 bytes) does not fit the tunnel (1500 - 40). A 20 kB POST:');
  const code = nsExec(
    lab.client,
    'sh',
    '-c',
    `head -c 20000 /dev/zero | curl -g -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- ${VIP6_URL}`,
  );
  say(`  HTTP ${code}; the director answered ICMPv6 packet too big (mtu 1460) and the client lowered its path MTU:`);
  shown(lab.client, `ip -6 route get ${VIP6}`, nsExec(lab.client, 'ip', '-6', 'route', 'get', VIP6));
  say(`
The lab stays up. Try:
  npm run lab -- shell router tcpdump -ni eth2 -c 4 ip6   the tunnelled packets (next header 41)
  npx tsvsadm --engine                      drops by reason: frag_needed counts the packet too big errors
  npm run lab -- down                       remove everything
Exercises: lab/README.md, section "LVS-TUN", "Over IPv6"`);
}
