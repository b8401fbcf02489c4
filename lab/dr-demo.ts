// dr-demo: `npm run lab -- dr`, the LVS-DR lab (dr-topology.ts) as a guided run: a real server's
// VIP on lo and its ARP settings, the DR rules as typed, one traced request (IN lines only), 300
// requests at wrr 1:2, and the counters showing that the replies bypass the director; then the
// same over IPv6 (DR6: the lab is dual-stack, the real servers hold the VIP6 on lo too). With
// --no-arp-ignore, web1 answers ARP for the VIP and the router sends the client's traffic to it.

import { spawnSync } from 'node:child_process';
import { LabDaemon, say, shown, typed } from './lab-daemon.ts';
import { printTrace } from './lab-trace.ts';
import { macOf, nsExec } from './netns.ts';
import { HaTopology } from './ha-topology.ts';
import { DrTopology } from './dr-topology.ts';
import { RIP1_6, RIP2_6, VIP6, VIP6_URL } from './ipv6.ts';
import { RIP1, RIP2, VIP } from './topology.ts';
import { drive, ratioText } from './traffic.ts';

/** Remove a leftover lab of either kind (the DR lab's namespaces are a superset of the NAT lab's). */
export function tearDownLeftover(prefix: string, d: LabDaemon): void {
  const ha = new HaTopology(prefix);
  if (ha.anyLeft()) {
    say('An HA lab with these names exists: tearing it down first.');
    ha.down();
  }
  const any = new DrTopology(prefix);
  if (!any.anyLeft()) return;
  say('A lab with these names exists: tearing it down first.');
  d.stop();
  any.down();
}

/** Build the DR lab and walk through it; on any failure or Ctrl-C everything is removed again. */
export async function drDemo(prefix: string, web1ArpIgnore: boolean): Promise<void> {
  const lab = new DrTopology(prefix);
  const d = new LabDaemon(lab);
  const abort = (): void => {
    d.stop();
    lab.down();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    await run(lab, d, web1ArpIgnore);
  } catch (e) {
    d.stop();
    lab.down();
    throw e;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

async function run(lab: DrTopology, d: LabDaemon, web1ArpIgnore: boolean): Promise<void> {
  say('== tsvs: the LVS-DR lab ==\n');
  tearDownLeftover(lab.prefix, d);
  lab.up({ web1ArpIgnore, ipv6: true });
  const pid = await d.start();
  say(`Lab up: ${lab.namespaces.join(', ')}; tsvsd pid ${pid} in ${lab.lvs} (log: ${d.logFile}).`);

  say('\nEach real server holds the VIP on lo, keeps quiet about it in ARP, and routes via the router:');
  for (const ns of [lab.web1, lab.web2]) {
    shown(ns, 'ip -4 -br addr show dev lo', nsExec(ns, 'ip', '-4', '-br', 'addr', 'show', 'dev', 'lo'));
    const sysctls = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'];
    shown(ns, `sysctl ${sysctls.join(' ')}`, nsExec(ns, 'sysctl', ...sysctls));
    shown(ns, 'ip route show default', nsExec(ns, 'ip', 'route', 'show', 'default'));
  }

  say('\nThe DR rules, as typed (-g, "gatewaying": direct routing, shown as Route):');
  typed(d, ['-A', '-t', `${VIP}:80`, '-s', 'wrr']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-g', '-w', '1']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-g', '-w', '2']);
  typed(d, ['-Ln']);

  if (!web1ArpIgnore) {
    arpTheft(lab, d);
    return;
  }

  say('\nOne request, every packet the director handles (IN only: replies go web -> router -> client):');
  await printTrace(lab, d, () => drive(lab.client, 1));

  say('\n300 requests from the client, a new connection each, scheduler wrr:');
  say(`  ${ratioText(drive(lab.client, 300))}`);
  typed(d, ['-Ln', '--stats']);
  const c = lab.counters();
  say(`
OutPkts stays 0: no reply crosses the director. The nft counters (table tsvslab) agree:
  the router forwarded ${c.routerRequests} request packets to the VIP and ${c.routerReplies} reply packets from it;
  the director's eth0 received ${c.directorReplies} reply packets.`);
  dr6(lab, d);
  say(`
The lab stays up. Try:
  npm run lab -- trace                      watch: only IN lines, while you curl from another terminal
  npm run lab -- shell client               curl http://${VIP}/ (the client never sees a RIP)
  npm run lab -- shell router ip neigh      the VIP's MAC is lvs1's; the RIPs' are the webs'
  npm run lab -- shell client curl -g ${VIP6_URL}   the same over IPv6 (DR6)
  npm run lab -- dr --no-arp-ignore         what breaks without arp_ignore on a real server
  npm run lab -- down                       remove everything
Exercises: lab/README.md, sections "LVS-DR" and "DR6"`);
}

/** DR6: the same rules typed with IPv6 addresses, 30 requests over IPv6, OutPkts 0 again. */
function dr6(lab: DrTopology, d: LabDaemon): void {
  say(`
DR6, the same over IPv6: each real server holds the VIP6 on lo too. No sysctl is needed to keep it
quiet: Linux answers a neighbour solicitation only for addresses of the interface it came in on
(ndisc_recv_ns() in net/ipv6/ndisc.c), so only tsvsd advertises the VIP6.`);
  shown(lab.web1, 'ip -6 -br addr show dev lo', nsExec(lab.web1, 'ip', '-6', '-br', 'addr', 'show', 'dev', 'lo'));
  typed(d, ['-A', '-t', `[${VIP6}]:80`, '-s', 'wrr']);
  typed(d, ['-a', '-t', `[${VIP6}]:80`, '-r', `[${RIP1_6}]:80`, '-g', '-w', '1']);
  typed(d, ['-a', '-t', `[${VIP6}]:80`, '-r', `[${RIP2_6}]:80`, '-g', '-w', '2']);
  say(`\n30 requests to ${VIP6_URL}:`);
  say(`  ${ratioText(drive(lab.client, 30, VIP6_URL))}`);
  typed(d, ['-Ln', '--stats']);
  const c = lab.counters('ip6');
  say(`The router forwarded ${c.routerRequests} IPv6 request packets and ${c.routerReplies} replies; the director received
${c.directorReplies} reply packets (either family).`);
}

/** web1 answers ARP for the VIP: show whose MAC the router learned and where the traffic went. */
function arpTheft(lab: DrTopology, d: LabDaemon): void {
  say(`
web1 runs with arp_ignore=0: it answers ARP for every local address, the VIP on lo included.
The router forgets its entry for the VIP and asks again (it pings the VIP):`);
  nsExec(lab.router, 'ip', 'neigh', 'flush', 'to', VIP);
  spawnSync('ip', ['netns', 'exec', lab.router, 'ping', '-c', '1', '-W', '1', VIP], { stdio: 'ignore' });
  const neigh = nsExec(lab.router, 'ip', 'neigh', 'show', 'to', VIP).trim();
  shown(lab.router, `ip neigh show to ${VIP}`, neigh);
  const owners: [string, string][] = [
    [macOf(lab.lvs, 'eth0'), 'the director (tsvsd)'],
    [macOf(lab.web1, 'eth1'), 'web1'],
    [macOf(lab.web2, 'eth1'), 'web2'],
  ];
  const owner = owners.find(([m]) => neigh.includes(m))?.[1] ?? 'nobody';
  say(`That MAC is ${owner}'s. Both web1 and tsvsd answered; the router keeps the first reply (arp.c).`);
  say('\n30 requests from the client:');
  say(`  ${ratioText(drive(lab.client, 30))}`);
  typed(d, ['-Ln', '--stats']);
  say(
    owner === 'web1'
      ? `web1 stole the VIP: every request went straight to it, the director saw none (InPkts 0),
and web2 gets nothing whatever the weights say.`
      : `This time tsvsd's reply came first. When the router's entry expires, whoever answers first
wins again: the VIP flaps between the director and web1.`,
  );
  say(`
The fix, on web1 (as the other real server already has it), then let the router ask again:
  ip netns exec ${lab.web1} sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  ip netns exec ${lab.router} ip neigh flush to ${VIP}
  npm run lab -- curl 30
Exercises: lab/README.md, section "LVS-DR"; npm run lab -- down removes everything.`);
}
