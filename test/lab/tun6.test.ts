// LVS-TUN over IPv6 (ip6ip6, ip_vs_tunnel_xmit_v6) through real kernel stacks (lab/tun-topology.ts
// with ipv6): the director wraps each client packet in an outer IPv6 header toward real servers
// on a routed network; they take it off (the tc BPF program's IPv6 branch, or the kernel's own
// tunnel) and answer the client through the router from the VIP6 on their lo. Shown with curl
// over IPv6: wrr 1:2 exactly, OutPkts 0, the router forwards the tunnelled packets (next header
// 41, from the DIP6) and the replies while none reaches the director; a packet too big for the
// tunnel gets ICMPv6 packet too big and the client's path MTU drops to 1460.
import t from 'tap';
import { CIP6, DIP6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, listNetns, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { drive } from '../../lab/traffic.ts';
import { ensureBpfDecap } from '../../lab/tun-decap.ts';
import { TUN_RIP1_6, TUN_RIP2_6, TunTopology } from '../../lab/tun-topology.ts';
import { statsOf } from '../helpers/stats-line.ts';

const why = netnsUnavailable() ?? ensureBpfDecap();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('LVS-TUN over IPv6 as typed: ip6ip6, wrr 1:2, replies bypass the director, PMTU', async (t) => {
    const lab = new TunTopology(`t6t${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    let pid: number | undefined;
    try {
      // The BPF decapsulation either way: it is what this test exercises on kernels without ip6_tunnel.
      lab.up({ ipv6: true, decap: 'bpf' });
      // Fresh client ports only: a SYN on a TIME_WAIT port would meet its old connection (tun.test.ts).
      nsExec(lab.client, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=0');
      pid = await d.start();
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'wrr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${TUN_RIP1_6}]:80`, '-i', '-w', '1']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${TUN_RIP2_6}]:80`, '-i', '-w', '2']);
      t.match(d.tsvsadm(['-Ln']).stdout, /-> \[2001:db8:77::100\]:80\s+Tunnel\s+1\s/, 'listed as Tunnel');

      const head = nsExec(lab.client, 'curl', '-g', '-si', '-m', '3', VIP6_URL);
      t.match(head, new RegExp(`X-Client-Addr: ${CIP6}\\r?\\n`, 'i'), 'the web server sees the client');

      const before = lab.counters('ip6');
      t.same(Object.fromEntries(drive(lab.client, 90, VIP6_URL)), { web1: 30, web2: 60 }, 'wrr over ip6ip6: 1:2');
      const stats = d.tsvsadm(['-Ln', '--stats', '--exact']).stdout;
      const s = statsOf(stats, `[${VIP6}]`);
      t.equal(s.conns, 91, '91 connections scheduled');
      t.ok(s.inPkts >= 91 * 5, `InPkts ${s.inPkts}: the director carried the client's packets`);
      t.equal(s.outPkts, 0, 'OutPkts 0: no reply came back through the director');
      t.equal(statsOf(stats, `[${TUN_RIP1_6}]`).conns, 30);
      t.equal(
        statsOf(stats, `[${TUN_RIP2_6}]`).conns,
        61,
        'web2: the first request (wrr starts at the heaviest) and 60',
      );
      const after = lab.counters('ip6');
      t.ok(after.routerReplies - before.routerReplies >= 180, 'the router forwarded the replies from the VIP6');
      t.equal(after.directorReplies, 0, "no reply packet ever reached the director's interface");
      t.equal(
        after.routerTunnelled - before.routerTunnelled,
        after.routerRequests - before.routerRequests,
        `each request packet to the VIP6 went on, in IPv6 from the DIP6 ${DIP6}, to a real server`,
      );

      // PMTU: a segment that fits the client's 1500 bytes but not the tunnel's 1460 gets packet too
      // big from the VIP6; the client's kernel lowers its path MTU and sends again, smaller.
      const post = nsExec(
        lab.client,
        'sh',
        '-c',
        `head -c 20000 /dev/zero | curl -g -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- ${VIP6_URL}`,
      );
      t.equal(post, '200', 'a 20 kB POST completes through the tunnel');
      const route = nsExec(lab.client, 'ip', '-6', 'route', 'get', VIP6);
      t.match(route, / mtu 1460 /, `the client learned the tunnel's path MTU: ${route.trim()}`);
      const engine = (await d.request('engine.stats')) as { drops: Record<string, number> };
      t.ok((engine.drops['frag_needed'] ?? 0) >= 1, 'the too-big packets were counted as frag_needed drops');
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
