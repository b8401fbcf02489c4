// Connection sync between two tsvsd on a shared segment: lvs1 runs the master sync daemon (from a
// --start-daemon line of its config), lvs2 the backup (started with tsvsadm). A client holds a
// keep-alive connection through lvs1 to a persistent service; lvs2's -Lnc then shows the
// connection ESTABLISHED with its 15-minute timeout and the persistence template ASSURED with the
// service's 300 s, -L --daemon shows each daemon in ipvsadm's words, and a malformed datagram
// sent to the group is counted by the backup without touching its table.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable, nsExec, NsSet } from '../../lab/netns.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { waitLine } from '../helpers/wait-line.ts';
import {
  ipv4Hosts,
  seconds,
  startTsvsd,
  twoDirectors,
  twoRequestsJs,
  syncStats as stats,
  tsvsadm,
} from '../helpers/sync-lab.ts';

const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const RIP = '192.168.99.100';
const RULES = `-A -t ${VIP}:80 -s rr -p 300\n-a -t ${VIP}:80 -r ${RIP}:80 -m -w 1\n`;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('connections made through the master appear on the backup with their state and timeouts', async (t) => {
    const ns = new NsSet();
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-sync-'));
    try {
      const h = twoDirectors(ns);
      const { client, lvs1, lvs2, web } = h;
      ipv4Hosts(ns, h, VIP, CIP, RIP);

      // lvs1 owns the VIP; lvs2 has the same rules but owns only a spare address, so no client
      // traffic reaches it (the HA lab moves the VIP with keepalived; this test is about sync).
      const start = async (name: string, nsName: string, owned: string, extra: string): Promise<string> => {
        const conf =
          `[engine]\ninterface eth0 owned ${owned} subnet 192.168.88.0/24\ninterface eth1 subnet 192.168.99.0/24\n` +
          `[rules]\n${RULES}${extra}`;
        return (await startTsvsd(ns, nsName, dir, name, conf)).socket;
      };
      const [s1, s2] = await Promise.all([
        start('lvs1', lvs1, VIP, '--start-daemon master --mcast-interface eth1 --syncid 5\n'),
        start('lvs2', lvs2, '192.168.88.6', ''),
      ]);
      await waitFor('the web server listening', () => nsExec(web, 'ss', '-Hltn', 'sport = :80').trim() !== '', {
        timeoutMs: 20_000,
      });
      t.same(tsvsadm(s2, ['--start-daemon', 'backup', '--mcast-interface', 'eth1', '--syncid', '5']), {
        status: 0,
        stdout: '',
        stderr: '',
      });
      t.same(tsvsadm(s2, ['--start-daemon', 'backup', '--mcast-interface', 'eth1']), {
        status: 255,
        stdout: '',
        stderr: 'Daemon has already run\n',
      });
      t.equal(
        tsvsadm(s1, ['-L', '--daemon']).stdout,
        'master sync daemon (mcast=eth1, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
      );
      t.equal(
        tsvsadm(s2, ['-Ln', '--daemon']).stdout,
        'backup sync daemon (mcast=eth1, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
      );

      // A keep-alive client: two requests (SYN, ACK, two GETs and their ACKs: >= 3 inbound
      // packets, the sync threshold), then it holds the connection open (50 s at most).
      const clientJs = twoRequestsJs(VIP, 50000);
      const c = ns.spawn(client, process.execPath, ['-e', clientJs]);
      const ready = await waitLine(c, /ready \d+/, 20_000);
      const cport = ready.split(' ')[1]!.trim();

      const want = `${CIP}:${cport} ${VIP}:80 ${RIP}:80`;
      // Polled through the control socket (a tsvsadm run costs a Node start); then listed once.
      await waitFor(
        'the connection and its template created on the backup',
        async () => (await stats(s2))['created']! >= 2,
        {
          timeoutMs: 15_000,
          intervalMs: 200,
        },
      ).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}\nmaster: ${JSON.stringify(await stats(s1))}`);
      });
      const lines = tsvsadm(s2, ['-Lnc'])
        .stdout.split('\n')
        .map((l) => l.trim().split(/\s+/).join(' '));
      const conn = lines
        .find((l) => l.includes(want))!
        .trim()
        .split(/\s+/);
      t.equal(conn[0], 'TCP');
      t.equal(conn[2], 'ESTABLISHED');
      t.ok(seconds(conn[1]!) > 600 && seconds(conn[1]!) <= 900, `15-minute ESTABLISHED timeout (${conn[1]})`);
      const tpl = lines.find((l) => l.includes(`${CIP}:0 ${VIP}:80 ${RIP}:80`));
      t.ok(tpl !== undefined, 'the persistence template is synced');
      const tf = tpl!.split(' ');
      t.equal(tf[2], 'ASSURED');
      t.ok(seconds(tf[1]!) > 120 && seconds(tf[1]!) <= 300, `the service's 300 s persistence (${tf[1]})`);
      t.match(tsvsadm(s2, ['-Ln']).stdout, new RegExp(`-> ${RIP.replace(/\./g, '\\.')}:80\\s+Masq\\s+1\\s+1\\s+0`));

      // A truncated message to the group, from lvs1's namespace: counted, nothing else changes.
      const before = lines.length;
      const sendJs = `
        const d = require('node:dgram').createSocket('udp4');
        d.bind(0, '192.168.99.5', () => {
          d.setMulticastInterface('192.168.99.5');
          const m = Buffer.from([0, 5, 0, 60, 1, 1, 0, 0, 0, 6, 0, 36]);
          d.send(m, 8848, '224.0.0.81', () => d.close());
        });`;
      nsExec(lvs1, process.execPath, '-e', sendJs);
      await waitFor('the backup counting the bad message', async () => (await stats(s2))['badLength'] === 1, {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      const shown = tsvsadm(s2, ['--sync']).stdout;
      t.match(shown, /badLength=1 /);
      t.match(shown, /corrupt=0 /);
      t.equal(tsvsadm(s2, ['-Lnc']).stdout.split('\n').length, before, 'table unchanged');
      t.match(tsvsadm(s1, ['--sync']).stdout, /connsSynced=[1-9]\d* messagesSent=[1-9]/);

      t.same(tsvsadm(s2, ['--stop-daemon', 'backup']), { status: 0, stdout: '', stderr: '' });
      t.same(tsvsadm(s2, ['--stop-daemon', 'backup']), { status: 255, stdout: '', stderr: 'No daemon is running\n' });
      t.equal(tsvsadm(s2, ['-L', '--daemon']).stdout, '');
    } finally {
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
