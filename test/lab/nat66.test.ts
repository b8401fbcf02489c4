// NAT66 against real Linux stacks in namespaces: the NAT lab dual-stack (lab/ipv6.ts), the
// service typed with IPv6 addresses, curl and wrk over IPv6 through tsvs, wrr 3:1 counted per
// real server, the trace of one request, -Lnc listing the IPv6 connections, ICMPv6 echo to the
// VIP6 answered by tsvsd and a crafted over-long extension header chain counted as a drop.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { CIP6, RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { macOf, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';
import { traceLines } from '../../lab/lab-trace.ts';
import { buildFrame6 } from '../helpers/frames6.ts';
import { sendRaw } from '../helpers/raw-frame.ts';

interface EngineStats {
  drops: Record<string, number>;
  forwardedIn: number;
}

const why = netnsUnavailable();
const noPython = spawnSync('sh', ['-c', 'command -v python3 && command -v wrk'], { stdio: 'ignore' }).status !== 0;
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (noPython) {
  t.plan(0, 'skipped: python3 (raw frames) or wrk is not installed');
} else {
  t.test('NAT66: curl and wrk through tsvs over IPv6, wrr 3:1, -Lnc, ping, a bad extension header chain', async (t) => {
    const lab = new LabTopology(`t6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      await d.start();
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'wrr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-w', '3', '-m']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-w', '1', '-m']);

      const ping = spawnSync('ip', ['netns', 'exec', lab.client, 'ping', '-6', '-c', '2', '-W', '2', VIP6], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      t.match(ping.stdout, /2 received/, 'ICMPv6 echo to the VIP6 is answered by tsvsd');

      const wrr = drive(lab.client, 200, VIP6_URL);
      t.same(Object.fromEntries(wrr), { web1: 150, web2: 50 }, 'wrr honours the weights over IPv6: 3:1');

      const head = nsExec(lab.client, 'curl', '-g', '-si', '-m', '2', VIP6_URL);
      t.match(head, new RegExp(`X-Client-Addr: ${CIP6}\\r?\\n`, 'i'), 'NAT66 keeps the client address');

      // One request traced: the handshake's IN and OUT rewrites with the IPv6 endpoints bracketed.
      const lines = await traceLines(d, () => drive(lab.client, 1, VIP6_URL));
      const ep = (a: string) => `\\[${a}\\]:\\d+`;
      t.match(
        lines[0],
        new RegExp(
          `^IN  ${ep(CIP6)} > ${ep(VIP6)} SYN  => ${ep(CIP6)} > ${ep('2001:db8:99::[12]00')} \\(new, wrr -> web[12], SYN_RECV\\)$`,
        ),
        'the trace shows the SYN rewritten toward a real server over IPv6',
      );
      t.ok(
        lines.some((l) =>
          new RegExp(`^OUT ${ep('2001:db8:99::[12]00')} > ${ep(CIP6)} SYN,ACK  => ${ep(VIP6)} > ${ep(CIP6)} `).test(l),
        ),
        'and the SYN,ACK rewritten back from the VIP6',
      );

      const lnc = d.tsvsadm(['-Lnc']).stdout;
      const rows = lnc
        .split('\n')
        .filter((l) => /^TCP .*\[2001:db8:88::10\]:\d+ \[2001:db8:88::5\]:80 \[2001:db8:99::[12]00\]:80$/.test(l));
      t.ok(rows.length >= 200, `-Lnc lists the IPv6 connections (${rows.length} rows)`);

      const wrk = spawnSync(
        'ip',
        ['netns', 'exec', lab.client, 'wrk', '-t1', '-c4', '-d2s', '--timeout', '2s', `http://[${VIP6}]/`],
        { encoding: 'utf8', timeout: 30_000 },
      );
      const reqs = Number(/(\d+) requests in/.exec(wrk.stdout)?.[1] ?? 0);
      t.ok(reqs > 0, `wrk over IPv6 through tsvs: ${reqs} requests`);
      t.notMatch(wrk.stdout, /Socket errors|Non-2xx/, 'wrk: no socket errors, every answer 2xx');

      const before = (await d.request('engine.stats')) as EngineStats;
      // Nine destination options headers: one more than the walk's bound (ipv6-exthdr.ts).
      const bad = buildFrame6({
        src: CIP6,
        dst: VIP6,
        srcMac: macOf(lab.client, 'eth0'),
        dstMac: macOf(lab.lvs, 'eth0'),
        proto: 'tcp',
        sport: 5555,
        dport: 80,
        flags: 'S',
        destOpts: 9,
      });
      for (let i = 0; i < 3; i++) sendRaw(lab.client, 'eth0', bad);
      let after = before;
      for (let i = 0; i < 100 && (after.drops['bad_ipv6_exthdr'] ?? 0) < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = (await d.request('engine.stats')) as EngineStats;
      }
      t.equal(
        (after.drops['bad_ipv6_exthdr'] ?? 0) - (before.drops['bad_ipv6_exthdr'] ?? 0),
        3,
        'three over-long extension header chains: three bad_ipv6_exthdr drops',
      );
      t.equal(after.forwardedIn, before.forwardedIn, 'none of them was forwarded');

      // --engine lists the web servers' IPv6 neighbours with the MACs their interfaces have.
      const engine = d.tsvsadm(['--engine']).stdout;
      const v6 = engine.slice(engine.indexOf('neighbours6:'));
      for (const [ns, rip] of [
        [lab.web1, RIP1_6],
        [lab.web2, RIP2_6],
      ] as const) {
        t.match(v6, new RegExp(`\\n  ${rip} ${macOf(ns, 'eth1')} port 1 `), `--engine lists ${rip} as a neighbour`);
      }

      const stats = d.tsvsadm(['-Ln', '--stats', '--exact']).stdout;
      t.match(stats, /TCP  \[2001:db8:88::5\]:80\s+\d+\s+\d+\s+[1-9]\d*\s/, 'the service counts replies (OutPkts)');
    } finally {
      d.stop();
      lab.down();
    }
  });
}
