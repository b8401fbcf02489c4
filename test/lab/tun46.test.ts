// LVS-TUN across families through real kernel stacks (lab/tun-topology.ts, dual-stack): an IPv4
// service whose real servers are IPv6 addresses (4in6: ip_vs_tunnel_xmit_v6() with an IPv4 inner
// packet, next header 4, one of them in GUE over IPv6) and an IPv6 service whose real servers are
// IPv4 addresses (6in4: ip_vs_tunnel_xmit() with an IPv6 inner packet, protocol 41, one in GUE over
// IPv4). The real servers take the outer header off with the lab's tc BPF program (this kernel has
// no ip6_tunnel or sit module) and answer the client directly from the VIP on their lo: curl in
// both families, rr 1:1, OutPkts 0, the router sees the tunnel in the other family.
import t from 'tap';
import { VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, listNetns, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { drive } from '../../lab/traffic.ts';
import { ensureBpfDecap, GUE_PORT } from '../../lab/tun-decap.ts';
import { VIP } from '../../lab/topology.ts';
import { TUN_RIP1, TUN_RIP1_6, TUN_RIP2, TUN_RIP2_6, TunTopology } from '../../lab/tun-topology.ts';
import { statsOf } from '../helpers/stats-line.ts';

const why = netnsUnavailable() ?? ensureBpfDecap();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('4in6 and 6in4 as typed: curl both ways, replies bypass the director', async (t) => {
    const lab = new TunTopology(`t46${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    let pid: number | undefined;
    try {
      lab.up({ ipv6: true, decap: 'bpf' });
      nsExec(lab.client, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=0');
      pid = await d.start();
      const gue = ['--tun-type', 'gue', '--tun-port', String(GUE_PORT), '--tun-csum'];
      const svc4 = `${VIP}:80`;
      d.tsvsadm(['-A', '-t', svc4, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', svc4, '-r', `[${TUN_RIP1_6}]:80`, '-i']);
      d.tsvsadm(['-a', '-t', svc4, '-r', `[${TUN_RIP2_6}]:80`, '-i', ...gue]);
      const svc6 = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc6, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', svc6, '-r', `${TUN_RIP1}:80`, '-i']);
      d.tsvsadm(['-a', '-t', svc6, '-r', `${TUN_RIP2}:80`, '-i', ...gue]);
      const list = d.tsvsadm(['-Ln']).stdout;
      t.match(list, /-> \[2001:db8:77::100\]:80\s+Tunnel\s+1\s/, 'an IPv6 real server of the IPv4 service');
      t.match(list, /-> 10\.0\.77\.200:80\s+Tunnel\s+1\s/, 'an IPv4 real server of the IPv6 service');

      const v4 = lab.counters('ip');
      const v6 = lab.counters('ip6');
      t.same(Object.fromEntries(drive(lab.client, 40)), { web1: 20, web2: 20 }, '4in6: IPIP and GUE over IPv6, rr');
      t.same(Object.fromEntries(drive(lab.client, 40, VIP6_URL)), { web1: 20, web2: 20 }, '6in4: rr');
      const v4b = lab.counters('ip');
      const v6b = lab.counters('ip6');
      t.ok(v4b.routerRequests - v4.routerRequests >= 40 * 5, 'IPv4 requests crossed the router');
      t.equal(
        v6b.routerTunnelled - v6.routerTunnelled,
        v4b.routerRequests - v4.routerRequests,
        'each IPv4 request went on inside IPv6 from the DIP6 (4in6)',
      );
      t.equal(
        v4b.routerTunnelled - v4.routerTunnelled,
        v6b.routerRequests - v6.routerRequests,
        'each IPv6 request went on inside IPv4 from the DIP (6in4)',
      );
      t.ok(v4b.routerReplies - v4.routerReplies >= 80 && v6b.routerReplies - v6.routerReplies >= 80, 'direct replies');
      t.equal(v4b.directorReplies, 0, "no reply packet ever reached the director's interface");

      const stats = d.tsvsadm(['-Ln', '--stats', '--exact']).stdout;
      t.equal(statsOf(stats, VIP).outPkts, 0, 'OutPkts 0 (IPv4 service)');
      t.equal(statsOf(stats, `[${VIP6}]`).outPkts, 0, 'OutPkts 0 (IPv6 service)');
      const engine = (await d.request('engine.stats')) as { drops: Record<string, number> };
      t.equal(engine.drops['tunnel_family'] ?? 0, 0, 'no tunnel_family drop');
    } finally {
      d.stop();
      lab.down();
    }
    t.notOk(
      listNetns().some((n) => n.startsWith(lab.prefix)),
      'no namespace left',
    );
    t.notOk(pid !== undefined && isAlive(pid), 'tsvsd is gone');
  });
}
