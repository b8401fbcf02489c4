// Full NAT reuses its local ports while the real server still holds the previous connection on
// the same <local address:port -> server:port> in TIME_WAIT. Every Linux connection has its own
// random TCP timestamp offset, so without translation about half of those SYNs carried an older
// TSval than the TIME_WAIT socket and were dropped as PAWS rejects (TcpExtPAWSTimewait), each
// costing the client a 1 s SYN retransmit. With tsvs's timestamp translation (src/nat/
// tcp-timestamp.ts) the server sees one forward-moving clock per local address: zero rejects.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, LIP, RIP1, VIP } from '../../lab/topology.ts';
import { tcpCounters } from '../../bench/compare/sys.ts';

/** TcpExt counter NAME inside namespace ns (/proc/net/netstat is per namespace). */
function tcpExt(ns: string, name: string): number {
  const v = tcpCounters(ns).get(`TcpExt${name}`);
  if (v === undefined) throw new Error(`no TcpExt ${name} in ${ns}`);
  return v;
}

const REQUESTS = 24;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('full NAT reusing a local port within the server TIME_WAIT: every SYN is accepted', async (t) => {
    const lab = new LabTopology(`tr${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      // Six local ports for four client ports: every local port is reused by a different client
      // connection (a different timestamp offset) while web1 holds it in TIME_WAIT.
      await d.start({ engineExtra: 'fullnat-ports 40000-40005\n' });
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-F']);
      const paws0 = tcpExt(lab.web1, 'PAWSTimewait');
      const synRetrans0 = tcpExt(lab.client, 'TCPSynRetrans');
      const tw0 = tcpExt(lab.web1, 'TW');
      // The client takes source ports 45000-45003 in turn and lets the server close first
      // (TIME_WAIT on web1; the client closes passively, so its own port is free again at once).
      // A client port coming back finds its previous connection in TIME_WAIT in tsvs, which
      // reschedules (conn_reuse_mode 1) and frees that local port within the connection timer
      // wheel's 1 s tick: with requests 0.6 s apart, 4 ports are held and at most 1 is pending,
      // so one of the 6 is always free. (One fixed client port would not show the bug: Linux
      // derives the timestamp offset from the 4-tuple, so it would never change.)
      const client = `
        const net = require('node:net');
        const one = (i) => new Promise((resolve) => {
          const t0 = Date.now();
          let data = '';
          const s = net.connect({ host: '${VIP}', port: 80, localPort: 45000 + (i % 4) });
          s.setTimeout(5000, () => s.destroy(new Error('timeout')));
          s.on('connect', () => s.write('GET / HTTP/1.1\\r\\nHost: lab\\r\\nConnection: close\\r\\n\\r\\n'));
          s.on('data', (b) => (data += b));
          s.on('error', (e) => resolve('ERR ' + e.code + ' ' + (Date.now() - t0)));
          s.on('close', () => resolve(data.split(' ')[1] + ' ' + (Date.now() - t0)));
        });
        (async () => {
          for (let i = 0; i < ${REQUESTS}; i++) {
            console.log(await one(i));
            await new Promise((r) => setTimeout(r, 600));
          }
        })();`;
      const out = nsExec(lab.client, process.execPath, '-e', client).trim().split('\n');
      const codes = out.map((l) => l.split(' ')[0]);
      t.same(
        codes,
        Array.from({ length: REQUESTS }, () => '200'),
        'every request answered',
      );
      t.equal(tcpExt(lab.web1, 'TW') - tw0, REQUESTS, 'web1 closed each connection first (TIME_WAIT on the server)');
      t.equal(tcpExt(lab.web1, 'PAWSTimewait') - paws0, 0, 'no SYN rejected by PAWS on web1');
      t.equal(tcpExt(lab.client, 'TCPSynRetrans') - synRetrans0, 0, 'no SYN had to be sent twice');
      const peers = new Set(
        nsExec(lab.web1, 'ss', '-Htan', 'state', 'time-wait')
          .trim()
          .split('\n')
          .map((l) => l.trim().split(/\s+/).pop()),
      );
      t.same(
        [...peers].sort(),
        [0, 1, 2, 3, 4, 5].map((i) => `${LIP}:${40000 + i}`),
        'web1 saw only the six local ports, each reused',
      );
      t.notMatch(d.tsvsadm(['--engine']).stdout, /ports_exhausted/, 'no SYN dropped for want of a local port');
    } finally {
      d.stop();
      lab.down();
    }
  });
}
