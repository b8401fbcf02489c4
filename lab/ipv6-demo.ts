// `npm run lab -- demo --ipv6`: the tutorial's NAT lab dual-stack, its commands typed with IPv6
// addresses (ipvsadm's [addr]:port), real curl over IPv6 through tsvs (NAT66) with its rewrites
// traced, the distribution and the listings.

import { spawnSync } from 'node:child_process';
import { tearDownLeftover } from './dr-demo.ts';
import { CIP6, RIP1_6, RIP2_6, VIP6, VIP6_URL } from './ipv6.ts';
import { type LabDaemon, say, typed } from './lab-daemon.ts';
import { printTrace } from './lab-trace.ts';
import type { LabTopology } from './topology.ts';
import { drive, ratioText } from './traffic.ts';

export async function ipv6Demo(lab: LabTopology, d: LabDaemon, offloads: 'default' | 'off'): Promise<void> {
  say('== tsvs: the LVS-NAT lab over IPv6 (NAT66) ==\n');
  tearDownLeftover(lab.prefix, d);
  lab.up({ mode: 'tsvs', offloads, ipv6: true });
  const pid = await d.start();
  say(`Lab up, dual-stack: ${lab.namespaces.join(', ')}; tsvsd pid ${pid} in ${lab.lvs} (log: ${d.logFile}).`);
  say(`tsvsd owns ${VIP6} on eth0 (neighbour discovery, ping); the client ${CIP6} routes through it.`);
  const svc = `[${VIP6}]:80`;
  say("\nThe tutorial's commands, typed with IPv6 addresses:");
  typed(d, ['-A', '-t', svc, '-s', 'rr']);
  typed(d, ['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-w', '1', '-m']);
  typed(d, ['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-w', '2', '-m']);
  typed(d, ['-Ln']);

  say(`\n$ ping -6 -c 1 ${VIP6}   (from the client: tsvsd answers the neighbour solicitation and the echo)`);
  const ping = spawnSync('ip', ['netns', 'exec', lab.client, 'ping', '-6', '-c', '1', '-W', '2', VIP6], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  say((ping.stdout ?? '').split('\n').find((l) => l.includes('bytes from')) ?? `ping failed: ${ping.stderr}`);

  say('\nOne request over IPv6, every rewrite (IN = client -> director, OUT = real server -> director):');
  await printTrace(lab, d, () => drive(lab.client, 1, VIP6_URL));

  say(`\n$ curl -g ${VIP6_URL}   (300 times from the client, a new connection each, scheduler rr)`);
  say(`  ${ratioText(drive(lab.client, 300, VIP6_URL))}`);
  say('  rr takes turns and ignores the weights: 1:1, although web2 has weight 2.');
  typed(d, ['-Ln', '--stats']);

  say('\nSwitch to weighted round robin:');
  typed(d, ['-E', '-t', svc, '-s', 'wrr']);
  say('300 more requests:');
  say(`  ${ratioText(drive(lab.client, 300, VIP6_URL))}`);
  say('  wrr honours the weights: web2 (weight 2) gets twice the connections of web1 (weight 1).');
  typed(d, ['-Ln']);
  say('\nThe connection table holds the IPv6 connections (in TIME_WAIT after curl closed them):');
  const lnc = d.tsvsadm(['-Lnc']).stdout.split('\n');
  say('$ tsvsadm -Lnc | head -5');
  say(lnc.slice(0, 5).join('\n'));

  say(`
The lab stays up. Try:
  npm run lab -- shell client       then: curl -g ${VIP6_URL}   or   ping -6 ${VIP6}
  npx tsvsadm -Lnc                  the IPv6 connections as ipvsadm -Lnc prints them
  npm run lab -- down               remove everything
Exercises: lab/README.md, "IPv6 (NAT66)"`);
}
