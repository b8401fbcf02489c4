// The SYN proxy set to `always` in the lab, against real Linux TCP stacks: curl from the client
// namespace through the VIP to nginx on the real servers, in classic NAT (-m) and full NAT (-F).
// Every connection's handshake is answered by the director's cookie SYN-ACK, the proven ACK
// opens the real-server side, and the requests and responses cross with translated sequence
// numbers and timestamps; -Ln shows the extension.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { curlOk } from '../helpers/flood-lab.ts';

const CURLS = 20;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('every curl through a service set to synproxy always completes, classic NAT then full NAT', async (t) => {
    const lab = new LabTopology(`sp${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      await d.start();
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr', '--synproxy', 'always']);
      t.match(d.tsvsadm(['-Ln']).stdout, new RegExp(`TCP  ${VIP.replace(/\./g, '\\.')}:80 rr synproxy\\n`));
      t.match(d.tsvsadm(['-Sn']).stdout, `-A -t ${VIP}:80 -s rr --synproxy always\n`);
      let sent = 0;
      for (const [name, fwd, cmd] of [
        ['classic NAT', '-m', '-a'],
        ['full NAT', '-F', '-e'],
      ] as const) {
        d.tsvsadm([cmd, '-t', `${VIP}:80`, '-r', '192.168.99.100:80', fwd]);
        d.tsvsadm([cmd, '-t', `${VIP}:80`, '-r', '192.168.99.200:80', fwd]);
        let ok = 0;
        for (let i = 0; i < CURLS; i++) if (curlOk(lab.client)) ok++;
        t.equal(ok, CURLS, `${name}: every curl answered 200`);
        const s = (await d.request('engine.stats')) as { synproxy: Record<string, number> };
        const sp = s.synproxy;
        t.ok(
          sp['cookiesSent']! - sent >= CURLS,
          `${name}: a cookie per connection (${sp['cookiesSent']! - sent} sent)`,
        );
        t.ok(sp['cookiesValidated']! - sent >= CURLS, `${name}: each proven by the client`);
        t.equal(sp['cookiesFailed'], 0, `${name}: no real client failed its cookie`);
        sent = sp['cookiesSent']!;
      }
      t.match(d.tsvsadm(['--engine']).stdout, /synproxy:\n {2}cookies sent \d+ {2}validated \d+ {2}failed 0/);
    } finally {
      d.stop();
      lab.down();
    }
    t.notOk(lab.anyLeft(), 'no namespace left');
  });
}
