// tun-demo: `npm run lab -- tun`, the LVS-TUN lab (tun-topology.ts) as a guided run: how a real
// server holds the VIP and takes the tunnel off, the TUN rules as typed (-i), one traced request
// (IN lines only), 300 requests at wrr 1:2, the counters showing that the replies bypass the
// director, the same over GUE, and a POST that meets the tunnel's smaller path MTU.

import { LabDaemon, say, shown, typed } from './lab-daemon.ts';
import { printTrace } from './lab-trace.ts';
import { nsExec } from './netns.ts';
import { tearDownLeftover } from './dr-demo.ts';
import { VIP } from './topology.ts';
import { drive, ratioText } from './traffic.ts';
import { ensureBpfDecap, GUE_PORT, type DecapKind } from './tun-decap.ts';
import { TUN_RIP1, TUN_RIP2, TunTopology } from './tun-topology.ts';
import { tun6Run } from './tun6-demo.ts';

/** Build the TUN lab and walk through it; on any failure or Ctrl-C everything is removed again. */
export async function tunDemo(prefix: string, decap: 'auto' | DecapKind, ipv6 = false): Promise<void> {
  const lab = new TunTopology(prefix);
  const d = new LabDaemon(lab);
  const abort = (): void => {
    d.stop();
    lab.down();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    if (decap !== 'kernel' || ipv6) {
      const why = ensureBpfDecap();
      if (why !== null) throw new Error(why);
    }
    if (ipv6) await run6(lab, d);
    else await run(lab, d, decap);
  } catch (e) {
    d.stop();
    lab.down();
    throw e;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

/** `tun --ipv6`: the lab dual-stack, the walk-through over IPv6 (tun6-demo.ts). */
async function run6(lab: TunTopology, d: LabDaemon): Promise<void> {
  say('== tsvs: the LVS-TUN lab over IPv6 (ip6ip6) ==\n');
  tearDownLeftover(lab.prefix, d);
  lab.up({ decap: 'bpf', ipv6: true });
  const pid = await d.start();
  say(`Lab up: ${lab.namespaces.join(', ')}; tsvsd pid ${pid} in ${lab.lvs} (log: ${d.logFile}).`);
  tun6Run(lab, d);
}

async function run(lab: TunTopology, d: LabDaemon, decap: 'auto' | DecapKind): Promise<void> {
  say('== tsvs: the LVS-TUN lab ==\n');
  tearDownLeftover(lab.prefix, d);
  lab.up({ decap });
  const pid = await d.start();
  say(`Lab up: ${lab.namespaces.join(', ')}; tsvsd pid ${pid} in ${lab.lvs} (log: ${d.logFile}).`);

  say(
    lab.decap === 'kernel'
      ? '\nThis kernel has the ipip module: the real servers decapsulate with tunl0 (and fou for GUE).'
      : '\nThis kernel has no ipip module: the real servers decapsulate with a tc BPF program on eth1\n' +
          '(lab/tun-decap.bpf.c, bpf_skb_adjust_room), then their own kernel stack takes the inner packet.',
  );
  say('Each real server holds the VIP on lo, keeps quiet about it in ARP, and routes via the router:');
  for (const ns of [lab.web1, lab.web2]) {
    shown(ns, 'ip -4 -br addr show dev lo', nsExec(ns, 'ip', '-4', '-br', 'addr', 'show', 'dev', 'lo'));
    if (lab.decap === 'bpf') {
      shown(ns, 'tc filter show dev eth1 ingress', nsExec(ns, 'tc', 'filter', 'show', 'dev', 'eth1', 'ingress'));
    } else shown(ns, 'ip -br link show tunl0', nsExec(ns, 'ip', '-br', 'link', 'show', 'tunl0'));
    shown(ns, 'ip route show default', nsExec(ns, 'ip', 'route', 'show', 'default'));
  }

  say('\nThe TUN rules, as typed (-i, "ipip": shown as Tunnel; --tun-info adds the tunnel column):');
  typed(d, ['-A', '-t', `${VIP}:80`, '-s', 'wrr']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', TUN_RIP1, '-i', '-w', '1']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', TUN_RIP2, '-i', '-w', '2']);
  typed(d, ['-Ln', '--tun-info']);

  say('\nOne request, every packet the director handles (IN only: replies go web -> router -> client):');
  await printTrace(lab, d, () => drive(lab.client, 1));

  say('\n300 requests from the client, a new connection each, scheduler wrr:');
  say(`  ${ratioText(drive(lab.client, 300))}`);
  typed(d, ['-Ln', '--stats']);
  const c = lab.counters();
  say(`
OutPkts stays 0: no reply crosses the director. The nft counters (table tsvslab) agree:
  the router forwarded ${c.routerRequests} request packets to the VIP, ${c.routerTunnelled} tunnelled packets from the
  DIP to the real servers, and ${c.routerReplies} reply packets from the VIP straight to the client;
  the director's eth0 received ${c.directorReplies} reply packets.`);

  say(`\nThe same over GUE (UDP to port ${GUE_PORT}, then a 4-byte GUE header):`);
  for (const [rip, w] of [
    [TUN_RIP1, '1'],
    [TUN_RIP2, '2'],
  ] as const) {
    typed(d, ['-e', '-t', `${VIP}:80`, '-r', rip, '-i', '-w', w, '--tun-type', 'gue', '--tun-port', `${GUE_PORT}`]);
  }
  typed(d, ['-Ln', '--tun-info']);
  typed(d, ['-Sn']);
  say(`30 requests: ${ratioText(drive(lab.client, 30))}`);

  say('\nPath MTU: a full-size client segment (1500 bytes, DF) does not fit the tunnel. A 20 kB POST:');
  nsExec(lab.client, 'ip', 'route', 'flush', 'cache');
  const code = nsExec(
    lab.client,
    'sh',
    '-c',
    `head -c 20000 /dev/zero | curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @- http://${VIP}/`,
  );
  say(`  HTTP ${code}; the director answered ICMP fragmentation-needed and the client lowered its path MTU:`);
  shown(lab.client, `ip route get ${VIP}`, nsExec(lab.client, 'ip', 'route', 'get', VIP));
  say(`
The lab stays up. Try:
  npm run lab -- trace                      watch: only IN lines, while you curl from another terminal
  npm run lab -- shell router tcpdump -ni eth2 -c 4   the tunnelled packets (udp port ${GUE_PORT} or proto 4)
  npx tsvsadm --engine                      drops by reason: frag_needed counts the ICMP errors sent
  npm run lab -- down                       remove everything
Exercises: lab/README.md, section "LVS-TUN"`);
}
