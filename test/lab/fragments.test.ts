// Fragmented UDP datagrams through the NAT lab against real Linux stacks: the client's kernel
// fragments 4,000-byte datagrams to the VIP (MTU 1500), tsvs forwards every fragment along its
// first one's connection (src/datapath/frag-track.ts), the real servers' kernels reassemble and
// echo them, their replies leave in fragments again and reach the client's socket whole from the
// VIP. Counted: every datagram answered with its own bytes, both real servers used (rr), the
// tracker's first fragments and followers, and no fragment drop.
import t from 'tap';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, spawnInNs, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';

interface EngineStats {
  drops: Record<string, number>;
  fragsRecorded: number;
  fragsMatched: number;
}

/** A UDP echo server on addr:5353 that prefixes each answer with its name (bounded by timeout). */
const ECHO = `import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind((sys.argv[1],5353))
while True:
    d,a=s.recvfrom(65535)
    s.sendto(sys.argv[2].encode()+d,a)
`;

/**
 * n datagrams of 4,000 bytes to VIP:53 from n client ports, each answer checked against what was
 * sent; prints "ok <name>" or "bad"/"lost" per datagram.
 */
const CLIENT = `import socket,sys
n=int(sys.argv[2])
for i in range(n):
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
    s.settimeout(2)
    d=bytes((i*7+j)&255 for j in range(4000))
    s.sendto(d,(sys.argv[1],53))
    try:
        r,_=s.recvfrom(65535)
        print(("ok "+r[:4].decode()) if r[4:]==d else "bad")
    except socket.timeout:
        print("lost")
    s.close()
`;

const why = netnsUnavailable();
const noPython = spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status !== 0;
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (noPython) {
  t.plan(0, 'skipped: python3 (the UDP echo and client) is not installed');
} else {
  t.test('fragmented 4,000-byte UDP datagrams through LVS-NAT both ways, answered whole', async (t) => {
    const lab = new LabTopology(`tf${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const echoes: ChildProcess[] = [];
    try {
      lab.up({ mode: 'tsvs' });
      await d.start();
      echoes.push(spawnInNs(lab.web1, 'timeout', ['120', 'python3', '-c', ECHO, RIP1, 'web1']));
      echoes.push(spawnInNs(lab.web2, 'timeout', ['120', 'python3', '-c', ECHO, RIP2, 'web2']));
      d.tsvsadm(['-A', '-u', `${VIP}:53`, '-s', 'rr']);
      d.tsvsadm(['-a', '-u', `${VIP}:53`, '-r', `${RIP1}:5353`, '-m']);
      d.tsvsadm(['-a', '-u', `${VIP}:53`, '-r', `${RIP2}:5353`, '-m']);
      await new Promise((r) => setTimeout(r, 500)); // the echo servers bind

      const r = spawnSync('ip', ['netns', 'exec', lab.client, 'timeout', '60', 'python3', '-c', CLIENT, VIP, '20'], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      const lines = r.stdout.trim().split('\n');
      const count = (s: string): number => lines.filter((l) => l === s).length;
      t.equal(lines.length, 20, `20 datagrams sent (${r.stderr.trim()})`);
      t.equal(count('ok web1') + count('ok web2'), 20, 'every datagram answered whole with its own bytes');
      t.ok(
        count('ok web1') >= 9 && count('ok web2') >= 9,
        `rr spreads them: web1 ${count('ok web1')}, web2 ${count('ok web2')}`,
      );

      const stats = (await d.request('engine.stats')) as EngineStats;
      t.equal(stats.drops['fragment'] ?? 0, 0, 'no fragment dropped');
      // Each 4,008-byte datagram is three fragments at MTU 1500, both ways: 2 x 20 first fragments.
      t.ok(stats.fragsRecorded >= 40, `first fragments recorded: ${stats.fragsRecorded}`);
      t.ok(stats.fragsMatched >= 80, `later fragments matched: ${stats.fragsMatched}`);
      const lnc = d.tsvsadm(['-Lnc']).stdout;
      t.match(
        lnc,
        /UDP .* 192\.168\.88\.10:\d+ +192\.168\.88\.5:53 +192\.168\.99\.[12]00:5353/,
        '-Lnc lists the UDP flows',
      );
    } finally {
      for (const e of echoes) await stopChild(e);
      d.stop();
      lab.down();
    }
  });
}
