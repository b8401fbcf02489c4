// The SYN proxy set to `always` against real Linux stacks while the client reuses its ports:
// four local ports, Connection: close, no TIME_WAIT kept on the client (tcp_max_tw_buckets=0), so
// it takes the same port again at once while the director's entry and the real server's socket
// for that tuple are still in TIME_WAIT. Every reuse must open a fresh connection through the
// cookie: no client segment may need a retransmission (the ACK proving a cookie must not be sent
// into the old connection) and the real server must reject nothing as PAWS.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { curlOk } from '../helpers/flood-lab.ts';

const CURLS = 24;
const PORTS = 4;

/** The namespace's absolute TCP counters (nstat -az). */
function counters(ns: string): Map<string, number> {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nstat', '-az'], { encoding: 'utf8', timeout: 10_000 });
  const m = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}
const delta = (a: Map<string, number>, b: Map<string, number>, k: string): number => (b.get(k) ?? 0) - (a.get(k) ?? 0);

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test(
    'synproxy always: reused client ports open fresh connections, no retransmission, no PAWS reject',
    async (t) => {
      const lab = new LabTopology(`spr${uniqueSuffix()}`);
      const d = new LabDaemon(lab);
      try {
        lab.up({ mode: 'tsvs' });
        await d.start();
        d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr', '--synproxy', 'always']);
        d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-m']);
        // The client keeps no TIME_WAIT (as wrk's heavy reuse under tcp_tw_reuse): a port is free again
        // as soon as its connection closed, while the real server still holds the tuple in TIME_WAIT.
        nsExec(
          lab.client,
          'sysctl',
          '-qw',
          `net.ipv4.ip_local_port_range=40000 ${40000 + PORTS - 1}`,
          'net.ipv4.tcp_max_tw_buckets=0',
        );
        const c0 = counters(lab.client);
        const w0 = counters(lab.web1);
        let ok = 0;
        for (let i = 0; i < CURLS; i++) if (curlOk(lab.client, ['-H', 'Connection: close'])) ok++;
        const c1 = counters(lab.client);
        const w1 = counters(lab.web1);
        t.equal(ok, CURLS, 'every curl answered 200');
        t.equal(delta(c0, c1, 'TcpActiveOpens'), CURLS, 'one connection per curl');
        t.equal(delta(c0, c1, 'TcpRetransSegs'), 0, 'the client retransmitted nothing');
        t.equal(delta(w0, w1, 'TcpExtPAWSEstab'), 0, 'the real server rejected nothing as PAWS (TIME_WAIT)');
        t.equal(delta(w0, w1, 'TcpPassiveOpens'), CURLS, 'the real server saw a SYN per curl');
        const s = (await d.request('engine.stats')) as { synproxy: Record<string, number> };
        t.equal(s.synproxy['cookiesValidated'], CURLS, 'one cookie proven per curl');
        t.equal(s.synproxy['cookiesFailed'], 0);
      } finally {
        d.stop();
        lab.down();
      }
      t.notOk(lab.anyLeft(), 'no namespace left');
    },
  );
}
