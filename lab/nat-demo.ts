// The main job, `npm run lab` (and `npm run lab -- up`): the tutorial's LVS-NAT lab with its
// commands as typed, one traced request, the rr and wrr distributions and the -Ln tables.
import { spawnSync } from 'node:child_process';
import { type LabDaemon, say, typed } from './lab-daemon.ts';
import { type LabTopology, VIP } from './topology.ts';
import { tearDownLeftover } from './dr-demo.ts';
import { drive, ratioText } from './traffic.ts';
import { printTrace } from './lab-trace.ts';

export async function up(lab: LabTopology, d: LabDaemon, offloads: 'default' | 'off'): Promise<void> {
  tearDownLeftover(lab.prefix, d);
  lab.up({ mode: 'tsvs', offloads });
  const pid = await d.start();
  say(`Lab up: ${lab.namespaces.join(', ')}; tsvsd pid ${pid} in ${lab.lvs} (log: ${d.logFile}).`);
}

export async function natDemo(lab: LabTopology, d: LabDaemon, offloads: 'default' | 'off'): Promise<void> {
  say('== tsvs: the LVS-NAT lab ==\n');
  await up(lab, d, offloads);
  say("\nThe tutorial's commands, as typed (tsvsadm is ipvsadm for tsvs):");
  typed(d, ['-A', '-t', `${VIP}:80`, '-s', 'rr']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-w', '1', '-m']);
  typed(d, ['-a', '-t', `${VIP}:80`, '-r', '192.168.99.200:80', '-w', '2', '-m']);
  typed(d, ['-Ln']);

  say(`\n$ ping -c 1 ${VIP}   (from the client: tsvsd answers for the VIP in userspace)`);
  const ping = spawnSync('ip', ['netns', 'exec', lab.client, 'ping', '-c', '1', '-W', '2', VIP], { encoding: 'utf8' });
  say((ping.stdout ?? '').split('\n').find((l) => l.includes('bytes from')) ?? `ping failed: ${ping.stderr}`);

  say('\nOne request, every rewrite (IN = client -> director, OUT = real server -> director):');
  await printTrace(lab, d, () => drive(lab.client, 1));

  say('\n300 requests from the client, a new connection each, scheduler rr:');
  say(`  ${ratioText(drive(lab.client, 300))}`);
  say('  rr takes turns and ignores the weights: 1:1, although web2 has weight 2.');
  typed(d, ['-Ln', '--stats']);

  say('\nSwitch to weighted round robin:');
  typed(d, ['-E', '-t', `${VIP}:80`, '-s', 'wrr']);
  say('300 more requests:');
  say(`  ${ratioText(drive(lab.client, 300))}`);
  say('  wrr honours the weights: web2 (weight 2) gets twice the connections of web1 (weight 1).');
  typed(d, ['-Ln']);

  say(`
The lab stays up. Try:
  npx tsvsadm -Lnc                  the connection table (state, expiry) as ipvsadm -Lnc prints it
  npm run lab -- trace              watch every rewrite while you curl from another terminal
  npm run lab -- shell client       a shell on the client: curl http://${VIP}/
  npm run lab -- sched lc           try lc, wlc, sh, mh, ...
  npm run lab -- mode fullnat       full NAT: the web servers see 192.168.99.6, not the client
  npm run lab -- down               remove everything
Exercises: lab/README.md`);
}
