// The teaching lab against real Linux stacks in namespaces: the tutorial as typed, rr 1:1 and
// wrr 1:2 over 300 requests, full NAT, ping to the VIP, lc vs rr with a slow server, clean teardown.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, listNetns, netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';
import { waitFor } from '../helpers/wait-for.ts';

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('the tutorial as typed: rr gives 1:1, wrr gives 1:2, full NAT hides the client', async (t) => {
    const lab = new LabTopology(`tl${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    let pid: number;
    try {
      lab.up({ mode: 'tsvs' });
      pid = await d.start();
      d.tsvsadm(['-A', '-t', '192.168.88.5:80', '-s', 'rr']);
      d.tsvsadm(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-w', '1', '-m']);
      d.tsvsadm(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.200:80', '-w', '2', '-m']);
      t.equal(
        d.tsvsadm(['-Ln']).stdout,
        'IP Virtual Server version 1.2.1 (size=65536)\n' +
          'Prot LocalAddress:Port Scheduler Flags\n' +
          '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
          'TCP  192.168.88.5:80 rr\n' +
          '  -> 192.168.99.100:80            Masq    1      0          0         \n' +
          '  -> 192.168.99.200:80            Masq    2      0          0         \n',
      );
      const ping = spawnSync('ip', ['netns', 'exec', lab.client, 'ping', '-c', '2', '-W', '2', VIP], {
        encoding: 'utf8',
      });
      t.match(ping.stdout, /2 received/, 'ping to the VIP is answered by tsvsd');

      const rr = drive(lab.client, 300);
      t.same(Object.fromEntries(rr), { web1: 150, web2: 150 }, 'rr ignores the weights: 1:1');
      // On-demand capture: what entered and what left the director, readable by tshark.
      const cap = `${lab.stateDir}/cap`;
      t.match(d.tsvsadm(['--capture', cap, '2']).stdout, /capturing for 2 s/);
      drive(lab.client, 2);
      // The capture buffers its frames and writes each file (pcap header first) when its 2 s are
      // up; both files holding data is the sign that it has ended.
      const written = (f: string): boolean => existsSync(f) && statSync(f).size > 0;
      await waitFor(
        'the 2 s capture to end and write its files',
        () => written(`${cap}-in.pcap`) && written(`${cap}-out.pcap`),
      );
      if (spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0) {
        const syns = (file: string, filter: string): number =>
          spawnSync('tshark', ['-r', file, '-Y', filter], { encoding: 'utf8' })
            .stdout.split('\n')
            .filter((l) => l.trim() !== '').length;
        t.equal(
          syns(`${cap}-in.pcap`, 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.dst==192.168.88.5'),
          2,
          'capture: 2 SYNs entered to the VIP',
        );
        t.equal(
          syns(`${cap}-out.pcap`, 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.dst==192.168.99.0/24'),
          2,
          'capture: 2 SYNs left toward the real servers',
        );
      } else t.comment('tshark missing: capture files not decoded');
      d.tsvsadm(['-E', '-t', '192.168.88.5:80', '-s', 'wrr']);
      const wrr = drive(lab.client, 300);
      t.same(Object.fromEntries(wrr), { web1: 100, web2: 200 }, 'wrr honours the weights: 1:2');

      const stats = d.tsvsadm(['-Ln', '--stats', '--exact']).stdout;
      t.match(stats, /TCP  192\.168\.88\.5:80\s+602\s/, '602 connections counted on the service');

      const masqHead = nsExec(lab.client, 'curl', '-si', '-m', '2', `http://${VIP}/`);
      t.match(masqHead, /X-Client-Addr: 192\.168\.88\.10\r?\n/i, 'classic NAT keeps the client address');
      for (const rip of ['192.168.99.100:80', '192.168.99.200:80']) {
        d.tsvsadm(['-e', '-t', '192.168.88.5:80', '-r', rip, '-F', '-w', rip.startsWith('192.168.99.100') ? '1' : '2']);
      }
      t.match(d.tsvsadm(['-Ln']).stdout, /192\.168\.99\.100:80\s+FullNat 1/);
      const fn = drive(lab.client, 30);
      t.equal((fn.get('web1') ?? 0) + (fn.get('web2') ?? 0), 30, 'every full-NAT request answered');
      const head = nsExec(lab.client, 'curl', '-si', '-m', '2', `http://${VIP}/`);
      t.match(
        head,
        /X-Client-Addr: 192\.168\.99\.6\r?\n/i,
        'the web server sees the full-NAT local address as the client',
      );
    } finally {
      d.stop();
      lab.down();
    }
    t.notOk(
      listNetns().some((n) => n.startsWith(lab.prefix)),
      'no namespace left',
    );
    t.notOk(isAlive(pid), 'tsvsd is gone');
  });

  t.test('lc and wlc send new connections away from a slow server; rr and wrr do not', async (t) => {
    const lab = new LabTopology(`tl${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs', webDelayMs: [400, 0] }); // web1 answers after 400 ms
      await d.start();
      d.tsvsadm(['-A', '-t', '192.168.88.5:80', '-s', 'rr']);
      d.tsvsadm(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.100:80', '-w', '1', '-m']);
      d.tsvsadm(['-a', '-t', '192.168.88.5:80', '-r', '192.168.99.200:80', '-w', '1', '-m']);
      // 40 requests, 8 at a time: slow connections stay ESTABLISHED (active) on web1.
      const burst = `seq 40 | xargs -P 8 -I{} curl -s -m 5 http://${VIP}/`;
      const count = (): Record<string, number> => {
        const out = spawnSync('ip', ['netns', 'exec', lab.client, 'bash', '-c', burst], {
          encoding: 'utf8',
          timeout: 60_000,
        }).stdout;
        const c: Record<string, number> = {};
        for (const l of out.split('\n')) if (l.trim() !== '') c[l.trim()] = (c[l.trim()] ?? 0) + 1;
        return c;
      };
      const rr = count();
      t.equal(rr['web1'], 20, 'rr: half go to the slow server');
      d.tsvsadm(['-E', '-t', '192.168.88.5:80', '-s', 'lc']);
      const lc = count();
      t.ok(
        (lc['web2'] ?? 0) >= 28,
        `lc: most go to the fast server (web1 ${lc['web1'] ?? 0}, web2 ${lc['web2'] ?? 0})`,
      );
      t.equal((lc['web1'] ?? 0) + (lc['web2'] ?? 0), 40);
      // wlc with web2 at weight 3: overhead/weight keeps even more off the slow web1.
      d.tsvsadm(['-e', '-t', '192.168.88.5:80', '-r', '192.168.99.200:80', '-m', '-w', '3']);
      d.tsvsadm(['-E', '-t', '192.168.88.5:80', '-s', 'wlc']);
      const wlc = count();
      t.ok(
        (wlc['web2'] ?? 0) >= 30,
        `wlc: weighted toward the fast server (web1 ${wlc['web1'] ?? 0}, web2 ${wlc['web2'] ?? 0})`,
      );
      // wrr 1:3 ignores the slowness: exactly a quarter to web1.
      d.tsvsadm(['-E', '-t', '192.168.88.5:80', '-s', 'wrr']);
      t.equal(count()['web1'], 10, 'wrr: web1 gets its weight share (1 of 4) however slow it is');
    } finally {
      d.stop();
      lab.down();
    }
  });
}
