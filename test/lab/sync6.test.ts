// Connection sync of IPv6 connections between two tsvsd on shared segments, and a failover that
// keeps one. lvs1 runs the master sync daemon and answers for the VIP6; lvs2 has the same rules,
// the backup daemon and starts silent (vrrp-state backup). A keep-alive client asks over one
// connection to [VIP6]:80 every 200 ms; lvs2's -Lnc lists that connection ESTABLISHED with the
// addresses as ipvsadm prints them ([2001:db8:...]:port) and its persistence template. Then lvs1
// dies (tsvsd killed, its links down), the real servers' gateway address (DIP6) moves to lvs2 and
// lvs2 becomes MASTER (what keepalived's notify would do): the same connection is answered again
// through lvs2, which carries it from the synced entry, without a reset.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip, netnsUnavailable, nsExec, NsSet } from '../../lab/netns.ts';
import { seconds, startTsvsd, twoDirectors, syncStats, tsvsadm } from '../helpers/sync-lab.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { waitLine } from '../helpers/wait-line.ts';

const VIP6 = '2001:db8:88::5';
const CIP6 = '2001:db8:88::10';
const DIP6 = '2001:db8:99::5';
const RIP6 = '2001:db8:99::100';
const RULES = `-A -t [${VIP6}]:80 -s rr -p 300\n-a -t [${VIP6}]:80 -r [${RIP6}]:80 -m -w 1\n`;

/** Both directors' engine: the VIP6 owned on eth0, IPv4 on eth1 for the sync group, the DIP6's prefix. */
function conf(extra: string, rules: string): string {
  return (
    `[engine]\ninterface eth0 owned ${VIP6} subnet 2001:db8:88::/64\n` +
    `interface eth1 subnet 192.168.99.0/24,${DIP6}/64\n${extra}[rules]\n${RULES}${rules}`
  );
}

/**
 * A keep-alive client: a GET over one connection, then another 200 ms after each answer, for 90 s
 * at most; prints "ready PORT" after the second answer and "ok N" after each one, "error" or
 * "closed" if the connection breaks.
 */
const CLIENT_JS = `
  const net = require('node:net');
  const s = net.connect({ host: '${VIP6}', port: 80 });
  let n = 0, buf = '';
  const ask = () => s.write('GET / HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\n');
  s.on('connect', ask);
  s.on('data', (b) => {
    buf += b;
    if (!buf.includes('web1\\n')) return;
    buf = '';
    n++;
    if (n === 2) console.log('ready ' + s.localPort);
    console.log('ok ' + n);
    setTimeout(ask, 200);
  });
  s.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
  s.on('close', () => { console.log('closed'); process.exit(1); });
  setTimeout(() => process.exit(0), 90000);`;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('an IPv6 connection synced to the backup survives the death of the master', async (t) => {
    const ns = new NsSet();
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-sync6-'));
    try {
      const { client, lvs1, lvs2, web, sw88, sw99 } = twoDirectors(ns);
      // The switches flood multicast (the solicited-node groups of NS, the sync group).
      for (const sw of [sw88, sw99]) ip('-n', sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
      for (const n of [client, lvs1, lvs2, web]) {
        nsExec(n, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
      }
      ip('-n', client, '-6', 'addr', 'add', `${CIP6}/64`, 'dev', 'eth0', 'nodad');
      ip('-n', lvs1, 'addr', 'add', '192.168.99.5/24', 'dev', 'eth1');
      ip('-n', lvs2, 'addr', 'add', '192.168.99.4/24', 'dev', 'eth1');
      for (const n of [lvs1, lvs2]) nsExec(n, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0');
      // The DIP6, the real server's gateway, is a kernel address of the active director (as
      // keepalived's virtual address would be); lvs2 announces it when it gets it (ndisc_notify).
      ip('-n', lvs1, '-6', 'addr', 'add', `${DIP6}/64`, 'dev', 'eth1', 'nodad');
      nsExec(lvs2, 'sysctl', '-qw', 'net.ipv6.conf.eth1.ndisc_notify=1');
      ip('-n', web, '-6', 'addr', 'add', `${RIP6}/64`, 'dev', 'eth1', 'nodad');
      ip('-n', web, '-6', 'route', 'add', 'default', 'via', DIP6);
      const webScript = new URL('../../lab/web-server.ts', import.meta.url).pathname;
      ns.spawn(web, process.execPath, ['--import', 'tsx', webScript, 'web1', '::', '80']);

      const [d1, d2] = await Promise.all([
        startTsvsd(ns, lvs1, dir, 'lvs1', conf('', '--start-daemon master --mcast-interface eth1 --syncid 6\n')),
        startTsvsd(ns, lvs2, dir, 'lvs2', conf('vrrp-state backup\n', '')),
      ]);
      const s1 = d1.socket;
      const s2 = d2.socket;
      await waitFor('the web server listening', () => nsExec(web, 'ss', '-Hltn', 'sport = :80').trim() !== '', {
        timeoutMs: 20_000,
      });
      t.same(tsvsadm(s2, ['--start-daemon', 'backup', '--mcast-interface', 'eth1', '--syncid', '6']), {
        status: 0,
        stdout: '',
        stderr: '',
      });

      const c = ns.spawn(client, process.execPath, ['-e', CLIENT_JS]);
      let out = '';
      c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const ready = await waitLine(c, /ready \d+/, 20_000);
      const cport = ready.split(' ')[1]!.trim();
      const answers = (): number => Number(/ok (\d+)\n(?![\s\S]*ok \d)/.exec(out)?.[1] ?? 0);

      await waitFor(
        'the IPv6 connection and its template created on the backup',
        async () => (await syncStats(s2))['created']! >= 2,
        { timeoutMs: 15_000, intervalMs: 200 },
      ).catch(async (e: unknown) => {
        throw new Error(`${(e as Error).message}\nmaster: ${JSON.stringify(await syncStats(s1))}`);
      });
      const backup = await syncStats(s2);
      t.equal(backup['skipped'], 0, 'no IPv6 entry skipped');
      t.equal(backup['noDest'], 0, 'service and real server found by their IPv6 addresses');
      const rows = tsvsadm(s2, ['-Lnc'])
        .stdout.split('\n')
        .map((l) => l.trim().split(/\s+/));
      const conn = rows.find((r) => r.slice(3).join(' ') === `[${CIP6}]:${cport} [${VIP6}]:80 [${RIP6}]:80`);
      t.ok(conn !== undefined, `the backup lists [${CIP6}]:${cport} -> [${VIP6}]:80 -> [${RIP6}]:80`);
      t.equal(conn?.[0], 'TCP');
      t.equal(conn?.[2], 'ESTABLISHED');
      t.ok(seconds(conn![1]!) > 600 && seconds(conn![1]!) <= 900, `15-minute ESTABLISHED timeout (${conn?.[1]})`);
      const tpl = rows.find((r) => r.slice(3).join(' ') === `[${CIP6}]:0 [${VIP6}]:80 [${RIP6}]:80`);
      t.equal(tpl?.[2], 'ASSURED', 'the persistence template is synced');
      t.match(tsvsadm(s2, ['-Ln']).stdout, /-> \[2001:db8:99::100\]:80\s+Masq\s+1\s+1\s+0/, 'counted active');

      // lvs1 dies: tsvsd killed, its links down. The DIP6 moves to lvs2, which becomes MASTER
      // (an unsolicited NA for the VIP6 from tsvsd, for the DIP6 from lvs2's kernel).
      const before = answers();
      process.kill(d1.child.pid!, 'SIGKILL');
      ip('-n', lvs1, 'link', 'set', 'eth0', 'down');
      ip('-n', lvs1, 'link', 'set', 'eth1', 'down');
      ip('-n', lvs2, '-6', 'addr', 'add', `${DIP6}/64`, 'dev', 'eth1', 'nodad');
      t.match(tsvsadm(s2, ['--vrrp-state', 'master']).stdout, /^VRRP state MASTER .*was BACKUP/);
      await waitFor('three more answers over the same connection, through lvs2', () => answers() >= before + 3, {
        timeoutMs: 30_000,
        intervalMs: 200,
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\nclient: ${out}`);
      });
      t.notMatch(out, /error|closed/, 'the connection was never reset');
      t.equal(c.exitCode, null, 'the client still holds it');
      const after = tsvsadm(s2, ['-Lnc']).stdout;
      t.match(after, `ESTABLISHED [${CIP6}]:${cport} [${VIP6}]:80 [${RIP6}]:80`, 'lvs2 still lists it ESTABLISHED');
      t.match(
        tsvsadm(s2, ['-Ln', '--stats']).stdout,
        /\[2001:db8:88::5\]:80\s+\d+\s+[1-9]/,
        'lvs2 forwarded its packets',
      );
    } finally {
      ns.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
