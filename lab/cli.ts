#!/usr/bin/env node
// lab: the LVS-NAT teaching lab. `npm run lab` runs the demo; `npm run lab -- <command>` for the rest.
import { spawnSync } from 'node:child_process';
import { LabDaemon, say, typed } from './lab-daemon.ts';
import { netnsUnavailable } from './netns.ts';
import { LabTopology, VIP } from './topology.ts';
import { DrTopology } from './dr-topology.ts';
import { drDemo } from './dr-demo.ts';
import { tunDemo } from './tun-demo.ts';
import { ansibleDemo } from './ansible-demo.ts';
import { ecmpAdd, ecmpDemo } from './ecmp-demo.ts';
import { DEFAULT_DIRECTORS, EcmpTopology, MAX_DIRECTORS } from './ecmp-topology.ts';
import { AnsibleLab } from './ansible-lab.ts';
import { drive, ratioText } from './traffic.ts';
import { watchTrace } from './lab-trace.ts';
import { natDemo, up } from './nat-demo.ts';
import { restartDemo } from './restart-demo.ts';
import { haCommand } from './ha-cli.ts';
import { HaTopology } from './ha-topology.ts';
import { floodDemo } from './flood-demo.ts';
import { ipv6Demo } from './ipv6-demo.ts';

const HELP = `tsvs lab: the classic LVS-NAT lab in network namespaces

Usage: npm run lab [-- COMMAND [ARGS]] [--prefix NAME] [--offloads off]

Commands:
  demo                 (default) build the lab, start tsvsd, run the tutorial's commands,
                       drive traffic and show the -Ln table, the distribution and a trace;
                       the lab stays up for exploration
  demo --ipv6          the same lab dual-stack, the commands typed with IPv6 addresses
                       ([2001:db8:88::5]:80), curl over IPv6 through tsvs (NAT66)
  dr [--no-arp-ignore] the LVS-DR lab instead (picture in lab/README.md): the DR rules as typed
                       (-g), traffic, and the proof that replies bypass the director;
                       --no-arp-ignore leaves web1 answering ARP for the VIP (the classic bug)
  ecmp [N] [--sched S] [--sloppy-tcp off|on|consistent] [--fullnat] [--resilient]
                       N LVS-DR directors (default 3, at most 8) behind a router with ECMP: BIRD 2
                       announces the VIP from each over BGP, tsvsd runs mh and adopts flows
                       (sloppy-tcp consistent; --sched and --sloppy-tcp change both on every
                       director); shows the route and the split per director,
                       kills one director's tsvsd under load and prints what broke
                       (lab/README.md, "ECMP"); --fullnat: full NAT (-F) from each director's
                       own address instead of DR; --resilient: the router's route is a resilient
                       next-hop group (lab/resilient-nexthops.ts) instead of hash-threshold
  ecmp add             start the stopped directors' tsvsd again, or add one more director
  tun [--decap bpf|kernel]  the LVS-TUN lab: real servers on a routed network get each client
                       packet in IPIP (then GUE) and answer directly; they decapsulate with
                       tunl0 where the kernel has it, else with a tc BPF program (--decap forces one)
  tun --ipv6           the same lab dual-stack over IPv6: ip6ip6 to the real servers (tc BPF decap)
  ansible              deploy the NAT lab with deploy/ansible (site.yml over ssh from the client:
                       Node, tsvs, tsvsd.conf, sysctls, health file, nginx), drive traffic, run
                       the playbook again (changed=0), then remove everything (lab/README.md)
  ha [--no-sync] [--advert-int S]
                       two directors under keepalived's VRRP (lab/README.md, "High
                       availability"): lvs1 MASTER, lvs2 BACKUP, a download and keep-alive
                       load through the VIP, then kill -9 of lvs1: the takeover, the stall,
                       the bytes and the broken connections; --no-sync without the IPVS
                       sync daemons; --advert-int 0.1 uses VRRPv3 sub-second adverts
  ha failback          on that lab: restart lvs1, which preempts lvs2 (priority 254 > 253)
  up                   build the topology and start tsvsd (no rules)
  down                 stop everything the lab (NAT, DR or TUN) started and remove its namespaces
  status               namespaces, tsvsd, and tsvsadm -Ln
  shell HOST [CMD...]  a shell (or CMD) in client, lvs1, web1, web2 (router: DR, TUN and ECMP
                       labs; lvs2..lvsN: ECMP lab)
  sched NAME           switch the VIP:80 service's scheduler (tsvsadm -E -s NAME)
  mode nat|fullnat     switch both real servers to classic NAT (-m) or full NAT (-F)
  curl [N]             N requests from the client (default 30), counted per web server
  restart [--kill|--takeover]  stop tsvsd (SIGTERM, or SIGKILL with --kill) and start it again
                       with the same arguments; prints how many connections it carried over.
                       --takeover: start the new tsvsd first (tsvsd --takeover), which has
                       the running one hand over once it is ready: an outage of one swap
  trace [SECONDS]      print every rewrite, both directions, for SECONDS (default 15)
  flood [SECONDS]      a fresh NAT lab, an hping3 SYN flood of SECONDS (default 8, at most 60) from
                       a flooder namespace, twice: SYN proxy off, then auto; prints the curls'
                       success rate and p99 connect time of each; removes the lab after
  flood --ipv6 [SECONDS]  the same dual-stack, THC's thcsyn6 (random sources of its /64) at
                       the IPv6 service [2001:db8:88::5]:80
  help                 this text

NAT topology (names with the default prefix "tsvs"):
  tsvs-client 192.168.88.10 --- eth0 [tsvs-lvs1: tsvsd owns VIP 192.168.88.5] eth1 192.168.99.5 (DIP)
                                    --- tsvs-sw99 (switch) --- tsvs-web1 192.168.99.100:80
                                                           --- tsvs-web2 192.168.99.200:80
DR topology: tsvs-client --- tsvs-router --- tsvs-sw99 (one segment 192.168.99.0/24) --- tsvs-lvs1
  (tsvsd owns VIP 192.168.88.5), tsvs-web1, tsvs-web2 (VIP on lo, arp_ignore=1, default via the router)
TUN topology: tsvs-client --- tsvs-router --- tsvs-lvs1 (DIP 192.168.99.5, tsvsd owns the VIP);
  tsvs-router --- tsvs-sw99 (10.0.77.0/24) --- tsvs-web1 10.0.77.100, tsvs-web2 10.0.77.200 (VIP on lo)
With the default prefix, \`npx tsvsadm ...\` from the project root talks to the lab's tsvsd.
`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let prefix = 'tsvs';
  let offloads: 'default' | 'off' = 'default';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--prefix') prefix = argv[++i] ?? prefix;
    else if (a === '--offloads') offloads = argv[++i] === 'off' ? 'off' : 'default';
    else if (a === '-h' || a === '--help') rest.unshift('help');
    else rest.push(a);
  }
  const cmd = rest.shift() ?? 'demo';
  if (cmd === 'help') {
    say(HELP);
    return;
  }
  const why = netnsUnavailable();
  if (why !== null) {
    process.stderr.write(`lab: ${why}\n`);
    process.exit(1);
  }
  const lab = new LabTopology(prefix);
  const d = new LabDaemon(lab);
  const needUp = (): void => {
    if (!lab.isUp() || (d.pid() === null && !new EcmpTopology(prefix).isUp())) {
      process.stderr.write('lab: the lab is not running: start it with `npm run lab` (or `npm run lab -- up`)\n');
      process.exit(1);
    }
  };
  switch (cmd) {
    case 'demo':
      if (rest.includes('--ipv6')) await ipv6Demo(lab, d, offloads);
      else await natDemo(lab, d, offloads);
      break;
    case 'ansible':
      await ansibleDemo(prefix);
      break;
    case 'up':
      await up(lab, d, offloads);
      break;
    case 'dr':
      await drDemo(prefix, !rest.includes('--no-arp-ignore'));
      break;
    case 'ecmp':
      if (rest[0] === 'add') await ecmpAdd(prefix);
      else {
        const flag = (name: string, def: string): string => {
          const i = rest.indexOf(name);
          return i >= 0 ? (rest.splice(i, 2)[1] ?? def) : def;
        };
        const sched = flag('--sched', 'mh');
        const sloppyTcp = flag('--sloppy-tcp', 'consistent');
        const switchOn = (name: string): boolean => {
          const i = rest.indexOf(name);
          if (i >= 0) rest.splice(i, 1);
          return i >= 0;
        };
        const forward = switchOn('--fullnat') ? 'fullnat' : 'dr';
        const resilient = switchOn('--resilient');
        const n = rest[0] === undefined ? DEFAULT_DIRECTORS : Number(rest[0]);
        if (!Number.isInteger(n) || n < 1 || n > MAX_DIRECTORS) {
          process.stderr.write(`lab: ecmp takes a number of directors from 1 to ${MAX_DIRECTORS}, or add\n`);
          process.exit(2);
        }
        if (sloppyTcp !== 'off' && sloppyTcp !== 'on' && sloppyTcp !== 'consistent') {
          process.stderr.write('lab: --sloppy-tcp takes off, on or consistent\n');
          process.exit(2);
        }
        await ecmpDemo(prefix, n, { sched, sloppyTcp, forward }, resilient);
      }
      break;
    case 'ha':
      await haCommand(prefix, rest);
      break;
    case 'tun': {
      const k = rest[rest.indexOf('--decap') + 1];
      const decap = rest.includes('--decap') && (k === 'bpf' || k === 'kernel') ? k : 'auto';
      await tunDemo(prefix, decap, rest.includes('--ipv6'));
      break;
    }
    case 'down': {
      const any = new DrTopology(prefix);
      d.stop();
      const ecmp = new EcmpTopology(prefix);
      if (ecmp.anyLeft()) ecmp.down();
      any.down();
      const ha = new HaTopology(prefix);
      if (ha.anyLeft()) ha.down();
      const ansibleLab = new AnsibleLab(prefix);
      if (ansibleLab.anyLeft()) ansibleLab.down();
      say(any.anyLeft() ? 'some namespaces are still there' : 'lab down: namespaces removed, processes stopped');
      break;
    }
    case 'status':
      say(`namespaces: ${lab.namespaces.join(' ')} -> ${lab.isUp() ? 'up' : lab.anyLeft() ? 'partly up' : 'down'}`);
      say(`tsvsd: ${d.pid() ?? 'not running'}`);
      if (d.pid() !== null) typed(d, ['-Ln']);
      break;
    case 'shell': {
      needUp();
      const host = rest.shift() ?? 'client';
      const ns = `${prefix}-${host}`;
      const r = spawnSync('ip', ['netns', 'exec', ns, ...(rest.length > 0 ? rest : ['bash'])], { stdio: 'inherit' });
      process.exit(r.status ?? 1);
      break;
    }
    case 'sched':
      needUp();
      typed(d, ['-E', '-t', `${VIP}:80`, '-s', rest[0] ?? 'rr']);
      typed(d, ['-Ln']);
      break;
    case 'mode': {
      needUp();
      const m = rest[0] === 'fullnat' ? '-F' : '-m';
      for (const [rip, w] of [
        ['192.168.99.100:80', '1'],
        ['192.168.99.200:80', '2'],
      ] as const) {
        const cur = d.tsvsadm(['-Ln']).stdout;
        const weight = new RegExp(`${rip.replace(/\./g, '\\.')}\\s+\\S+\\s+(\\d+)`).exec(cur)?.[1] ?? w;
        typed(d, ['-e', '-t', `${VIP}:80`, '-r', rip, m, '-w', weight]);
      }
      typed(d, ['-Ln']);
      break;
    }
    case 'curl':
      needUp();
      say(ratioText(drive(lab.client, Number(rest[0] ?? 30))));
      break;
    case 'restart':
      needUp();
      await restartDemo(d, rest.includes('--kill') ? 'SIGKILL' : rest.includes('--takeover') ? 'takeover' : 'SIGTERM');
      break;
    case 'flood':
      await floodDemo(prefix, Number(rest.find((a) => a !== '--ipv6') ?? 8), rest.includes('--ipv6'));
      break;
    case 'trace':
      needUp();
      await watchTrace(lab, d, Number(rest[0] ?? 15) * 1000);
      break;
    default:
      process.stderr.write(`lab: unknown command ${cmd}\n${HELP}`);
      process.exit(2);
  }
}

// `npm run lab -- status | head` closes our stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main().catch((e: unknown) => {
  process.stderr.write(`lab: ${(e as Error).message}\n`);
  process.exit(1);
});
