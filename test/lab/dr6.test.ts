// LVS-DR over IPv6 (DR6) through real kernel stacks (lab/dr-topology.ts with ipv6): the director
// only re-addresses frames to the real servers' MACs, learned by neighbour discovery; the real
// servers hold the VIP6 on lo and answer the client through the router. Shown with curl over
// IPv6: wrr 1:2 exactly, replies never cross the director (its OutPkts stay 0, nft counts them
// forwarded by the router and never received by the director), and with tsvsd stopped nobody
// answers the router's NS for the VIP6: a real server does not advertise an address on its lo
// (ndisc_recv_ns(), net/ipv6/ndisc.c), so IPv6 needs no arp_ignore.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { DrTopology } from '../../lab/dr-topology.ts';
import { CIP6, RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, listNetns, macOf, netnsUnavailable, nsExec, tryKill, uniqueSuffix } from '../../lab/netns.ts';
import { drive } from '../../lab/traffic.ts';
import { statsOf } from '../helpers/stats-line.ts';

/** The router's neighbour entry for the VIP6 after it forgot it and pinged the VIP6 once. */
function routerResolvesVip6(lab: DrTopology): { neigh: string; answered: boolean } {
  nsExec(lab.router, 'ip', '-6', 'neigh', 'flush', 'to', VIP6);
  const ping = spawnSync('ip', ['netns', 'exec', lab.router, 'ping', '-6', '-c', '1', '-W', '2', VIP6], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { neigh: nsExec(lab.router, 'ip', '-6', 'neigh', 'show', 'to', VIP6).trim(), answered: ping.status === 0 };
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('DR6 as typed: wrr 1:2 over IPv6, replies bypass the director, no NA from a real server', async (t) => {
    const lab = new DrTopology(`t6d${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    let pid: number | undefined;
    try {
      lab.up({ ipv6: true });
      // Fresh client ports only: a SYN on a TIME_WAIT port would meet its old connection (dr.test.ts).
      nsExec(lab.client, 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=0');
      pid = await d.start();
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'wrr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-g', '-w', '1']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-g', '-w', '2']);
      t.match(d.tsvsadm(['-Ln']).stdout, /-> \[2001:db8:99::100\]:80\s+Route\s+1\s/, 'listed as Route');

      const head = nsExec(lab.client, 'curl', '-g', '-si', '-m', '2', VIP6_URL);
      t.match(head, new RegExp(`X-Client-Addr: ${CIP6}\\r?\\n`, 'i'), 'the web server sees the client');

      const before = lab.counters('ip6');
      t.same(Object.fromEntries(drive(lab.client, 300, VIP6_URL)), { web1: 100, web2: 200 }, 'wrr over IPv6: 1:2');
      const stats = d.tsvsadm(['-Ln', '--stats', '--exact']).stdout;
      const s = statsOf(stats, `[${VIP6}]`);
      t.equal(s.conns, 301, '301 connections scheduled');
      t.ok(s.inPkts >= 301 * 5, `InPkts ${s.inPkts}: the director carried the client's packets`);
      t.equal(s.outPkts, 0, 'OutPkts 0: no reply came back through the director');
      t.equal(statsOf(stats, `[${RIP1_6}]`).conns, 100);
      t.equal(
        statsOf(stats, `[${RIP2_6}]`).conns,
        201,
        'web2: the first request (wrr starts at the heaviest) and 200 more',
      );
      const after = lab.counters('ip6');
      t.ok(after.routerReplies - before.routerReplies >= 300 * 2, 'the router forwarded the replies from the VIP6');
      t.equal(after.directorReplies, 0, "no reply packet ever reached the director's interface");
      t.equal(after.routerRequests, s.inPkts, 'every request packet the router forwarded, the director counted');

      const r = routerResolvesVip6(lab);
      t.ok(r.answered, 'the router reaches the VIP6 (tsvsd answers its echo)');
      t.match(r.neigh, macOf(lab.lvs, 'eth0'), "the router's entry for the VIP6 is the director's MAC");
      // With tsvsd stopped only the real servers could answer: they hold the VIP6 on lo and must not.
      tryKill(pid, 'SIGSTOP');
      try {
        const stopped = routerResolvesVip6(lab);
        t.notOk(stopped.answered, 'with tsvsd stopped the VIP6 does not answer');
        t.notMatch(stopped.neigh, macOf(lab.web1, 'eth1'), 'web1 sent no NA for the VIP6 on its lo');
        t.notMatch(stopped.neigh, macOf(lab.web2, 'eth1'), 'web2 sent no NA for it either');
      } finally {
        tryKill(pid, 'SIGCONT');
      }
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
