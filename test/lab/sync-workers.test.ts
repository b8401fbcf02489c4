// Connection sync with `[engine] workers N` on either side, and a failover that keeps the
// connections. lvs1 runs the master sync daemon and answers for the VIP; lvs2 has the same rules,
// the backup daemon and starts silent (vrrp-state backup). A client holds four keep-alive
// connections to the VIP, from source ports chosen so that two hash to each of two workers (the
// fanout program's client-side hash), asking every 200 ms. Once lvs2 lists them all, lvs1 dies
// (tsvsd killed, its links down), the real server's gateway address moves to lvs2 and lvs2 becomes
// MASTER (what keepalived's notify would do): every connection is answered again through lvs2,
// which forwards it from the synced entry, without a reset. Three pairs of worker counts: 2 -> 2,
// 2 -> 1 and 1 -> 2, so the wire stream of a multi-worker master is the one a single backup reads
// and the other way round.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fanoutWorker } from '../../src/io/fanout-program.ts';
import { ip, netnsUnavailable, nsExec, NsSet } from '../../lab/netns.ts';
import { ipv4Hosts, startSyncDaemon, startTsvsd, syncStats, twoDirectors, tsvsadm } from '../helpers/sync-lab.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { waitLine } from '../helpers/wait-line.ts';

const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const CIP_U32 = 0xc0a8580a;
const RIP = '192.168.99.100';
const DIP = '192.168.99.5';
const RULES = `-A -t ${VIP}:80 -s rr -p 300\n-a -t ${VIP}:80 -r ${RIP}:80 -m -w 1\n`;

/** Two client ports per worker of two: the connections reach both workers of a 2-worker side. */
function clientPorts(): number[] {
  const by: number[][] = [[], []];
  for (let p = 41000; by[0]!.length < 2 || by[1]!.length < 2; p++) {
    const w = fanoutWorker(CIP_U32, p, 2);
    if (by[w]!.length < 2) by[w]!.push(p);
  }
  return [...by[0]!, ...by[1]!];
}

/**
 * Keep-alive connections from the given local ports: a GET over each, another 200 ms after each
 * answer, for 120 s at most; "ready" once each has two answers, "ok PORT N" after each answer,
 * "error PORT" or "closed PORT" if one breaks.
 */
function clientJs(ports: readonly number[]): string {
  return `
    const net = require('node:net');
    const n = {};
    let ready = false;
    for (const p of ${JSON.stringify(ports)}) {
      n[p] = 0;
      let buf = '';
      const s = net.connect({ host: '${VIP}', port: 80, localAddress: '${CIP}', localPort: p });
      const ask = () => s.write('GET / HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\n');
      s.on('connect', ask);
      s.on('data', (b) => {
        buf += b;
        if (!buf.includes('web1\\n')) return;
        buf = '';
        n[p]++;
        console.log('ok ' + p + ' ' + n[p]);
        if (!ready && Object.values(n).every((x) => x >= 2)) { ready = true; console.log('ready'); }
        setTimeout(ask, 200);
      });
      s.on('error', (e) => { console.log('error ' + p + ' ' + e.message); process.exit(1); });
      s.on('close', () => { console.log('closed ' + p); process.exit(1); });
    }
    setTimeout(() => process.exit(0), 120000);`;
}

/** Both directors' config: the VIP owned on eth0, the sync segment on eth1. */
function conf(workers: number, extra: string, rules: string): string {
  return (
    `[engine]\ninterface eth0 owned ${VIP} subnet 192.168.88.0/24\ninterface eth1 subnet 192.168.99.0/24\n` +
    `workers ${workers}\n${extra}[rules]\n${RULES}${rules}`
  );
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  for (const [mw, bw] of [
    [2, 2],
    [2, 1],
    [1, 2],
  ] as const) {
    t.test(`master workers ${mw} -> backup workers ${bw}: synced connections survive the failover`, async (t) => {
      const ns = new NsSet();
      const dir = mkdtempSync(join(tmpdir(), 'tsvs-sync-workers-'));
      try {
        const h = twoDirectors(ns);
        const { client, lvs1, lvs2, web } = h;
        ipv4Hosts(ns, h, VIP, CIP, RIP);

        const [d1, d2] = await Promise.all([
          startTsvsd(ns, lvs1, dir, 'lvs1', conf(mw, '', '--start-daemon master --mcast-interface eth1 --syncid 9\n')),
          startTsvsd(ns, lvs2, dir, 'lvs2', conf(bw, 'vrrp-state backup\n', '')),
        ]);
        const s1 = d1.socket;
        const s2 = d2.socket;
        await waitFor('the web server listening', () => nsExec(web, 'ss', '-Hltn', 'sport = :80').trim() !== '', {
          timeoutMs: 20_000,
        });
        // Asked while lvs1's workers may still be starting: tsvsd holds the request until they run.
        t.equal(
          tsvsadm(s1, ['-L', '--daemon']).stdout,
          'master sync daemon (mcast=eth1, syncid=9, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
        );
        await startSyncDaemon(s2, { state: 'backup', mcastIfn: 'eth1', syncid: 9 });
        t.equal(
          tsvsadm(s2, ['-L', '--daemon']).stdout,
          'backup sync daemon (mcast=eth1, syncid=9, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
        );

        const ports = clientPorts();
        const c = ns.spawn(client, process.execPath, ['-e', clientJs(ports)]);
        let out = '';
        c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
        await waitLine(c, /^ready$/m, 20_000);
        const answers = (p: number): number => {
          const all = [...out.matchAll(new RegExp(`^ok ${p} (\\d+)$`, 'gm'))];
          return all.length === 0 ? 0 : Number(all[all.length - 1]![1]);
        };

        const listed = (): string => tsvsadm(s2, ['-Lnc']).stdout.replace(/[ \t]+/g, ' ');
        await waitFor(
          'every connection and the template created on the backup',
          async () => (await syncStats(s2))['created']! >= ports.length + 1,
          { timeoutMs: 15_000, intervalMs: 200 },
        ).catch(async (e: unknown) => {
          throw new Error(`${(e as Error).message}\nmaster: ${JSON.stringify(await syncStats(s1))}`);
        });
        // The report of a worker's table reaches -Lnc within a second.
        await waitFor(
          'the backup listing every connection',
          () => ports.every((p) => listed().includes(`ESTABLISHED ${CIP}:${p} ${VIP}:80 ${RIP}:80`)),
          { timeoutMs: 10_000, intervalMs: 300 },
        ).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\n${listed()}`);
        });
        const master = await syncStats(s1);
        t.ok(master['connsSynced']! >= ports.length + 1, `the master synced them (${JSON.stringify(master)})`);
        t.match(listed(), `ASSURED ${CIP}:0 ${VIP}:80 ${RIP}:80`, 'the persistence template is synced');
        const backup = await syncStats(s2);
        t.equal(backup['noDest'], 0, 'service and real server found');
        t.equal(backup['tableFull'], 0, 'no entry lost to a full table');
        t.equal(backup['skipped'], 0, 'no entry skipped');

        // lvs1 dies: tsvsd killed, its links down. Its gateway address moves to lvs2 (the real
        // server learns the new owner: a gratuitous ARP's job, here a flush) and lvs2 becomes
        // MASTER (its gratuitous ARPs move the VIP).
        const before = new Map(ports.map((p) => [p, answers(p)]));
        process.kill(d1.child.pid!, 'SIGKILL');
        ip('-n', lvs1, 'link', 'set', 'eth0', 'down');
        ip('-n', lvs1, 'link', 'set', 'eth1', 'down');
        ip('-n', lvs2, 'addr', 'add', `${DIP}/24`, 'dev', 'eth1');
        ip('-n', web, 'neigh', 'flush', 'dev', 'eth1');
        t.match(tsvsadm(s2, ['--vrrp-state', 'master']).stdout, /^VRRP state MASTER .*was BACKUP/);
        await waitFor(
          'three more answers over every connection, through lvs2',
          () => ports.every((p) => answers(p) >= before.get(p)! + 3),
          { timeoutMs: 30_000, intervalMs: 200 },
        ).catch((e: unknown) => {
          throw new Error(`${(e as Error).message}\nclient: ${out.slice(-2000)}`);
        });
        t.notMatch(out, /error|closed/, 'no connection was reset');
        t.equal(c.exitCode, null, 'the client still holds them');
        // A worker's counters reach -Ln --stats with its next report (within a second).
        await waitFor(
          'lvs2 counting the packets it forwarded',
          () => /192\.168\.88\.5:80\s+\d+\s+[1-9]/.test(tsvsadm(s2, ['-Ln', '--stats']).stdout),
          { timeoutMs: 10_000, intervalMs: 300 },
        );
        t.pass('lvs2 forwarded their packets');
      } finally {
        ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
