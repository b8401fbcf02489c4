// Sync daemons across `tsvsd --takeover`: both directors' daemons are started at run time with
// tsvsadm (not by --start-daemon lines of the config), then each tsvsd is replaced by a successor
// that takes over. The successors run the same daemons (-L --daemon), and a connection made
// through the new master after both swaps is synced to the new backup: nothing stopped syncing.
// Once with one engine, once with `[engine] workers 2` (the daemons run in the data-path threads).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { binArgs } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, nsExec, NsSet } from '../../lab/netns.ts';
import { ControlClient } from '../../src/wire/client.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { waitLine } from '../helpers/wait-line.ts';
import {
  ipv4Hosts,
  startSyncDaemon,
  startTsvsd,
  twoDirectors,
  twoRequestsJs,
  syncStats,
  tsvsadm,
} from '../helpers/sync-lab.ts';

const VIP = '192.168.88.5';
const CIP = '192.168.88.10';
const RIP = '192.168.99.100';
const RULES = `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RIP}:80 -m -w 1\n`;

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  for (const workers of [1, 2])
    t.test(`sync daemons started with tsvsadm keep running across tsvsd --takeover (workers ${workers})`, async (t) => {
      const ns = new NsSet();
      const dir = mkdtempSync(join(tmpdir(), 'tsvs-sync-takeover-'));
      try {
        const h = twoDirectors(ns);
        const { client, lvs1, lvs2, web } = h;
        ipv4Hosts(ns, h, VIP, CIP, RIP);

        const conf = (owned: string): string =>
          `[engine]\ninterface eth0 owned ${owned} subnet 192.168.88.0/24\ninterface eth1 subnet 192.168.99.0/24\n` +
          `workers ${workers}\n[rules]\n${RULES}`;
        const [d1, d2] = await Promise.all([
          startTsvsd(ns, lvs1, dir, 'lvs1', conf(VIP)),
          startTsvsd(ns, lvs2, dir, 'lvs2', conf('192.168.88.6')),
        ]);
        const s1 = d1.socket;
        const s2 = d2.socket;
        const master = 'master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n';
        const backup = 'backup sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n';
        // The control socket answers before the engine runs: asked until the engine serves the op.
        await startSyncDaemon(s1, { state: 'master', mcastIfn: 'eth1', syncid: 7 });
        await startSyncDaemon(s2, { state: 'backup', mcastIfn: 'eth1', syncid: 7 });
        t.equal(tsvsadm(s1, ['-L', '--daemon']).stdout, master, 'lvs1 runs the master daemon');
        t.equal(tsvsadm(s2, ['-L', '--daemon']).stdout, backup, 'lvs2 runs the backup daemon');

        /** A successor with --takeover in nsName; resolves once the old tsvsd exited and the new one answers. */
        const takeover = async (nsName: string, name: string, old: ChildProcess): Promise<void> => {
          const exited = new Promise<void>((resolve) => {
            if (old.exitCode !== null || old.signalCode !== null) resolve();
            else old.once('exit', () => resolve());
          });
          const socket = join(dir, `${name}.sock`);
          const args = ['--config', join(dir, `${name}.conf`), '--rules', join(dir, `${name}.rules`)];
          ns.spawn(nsName, process.execPath, [...binArgs('tsvsd'), ...args, '--socket', socket, '--takeover']);
          await exited;
          await waitFor(
            `the successor of ${name} answering`,
            async () => {
              const c = await ControlClient.connect(socket);
              c.close();
              return true;
            },
            { timeoutMs: 40_000, intervalMs: 200 },
          );
        };
        // A successor answers once its engine runs; its handed-over daemons start right after.
        const runs = (socket: string, want: string, what: string): Promise<unknown> =>
          waitFor(what, () => tsvsadm(socket, ['-L', '--daemon']).stdout === want, {
            timeoutMs: 20_000,
            intervalMs: 300,
          });
        await takeover(lvs2, 'lvs2', d2.child);
        await runs(s2, backup, "lvs2's successor running the backup daemon");
        t.equal(tsvsadm(s2, ['-L', '--daemon']).stdout, backup, "lvs2's successor runs the backup daemon");
        await takeover(lvs1, 'lvs1', d1.child);
        await runs(s1, master, "lvs1's successor running the master daemon");
        t.equal(tsvsadm(s1, ['-L', '--daemon']).stdout, master, "lvs1's successor runs the master daemon");

        await waitFor('the web server listening', () => nsExec(web, 'ss', '-Hltn', 'sport = :80').trim() !== '', {
          timeoutMs: 20_000,
        });
        // A keep-alive client through the new master: two requests (>= 3 inbound packets, the sync
        // threshold), then it holds the connection open (30 s at most).
        const clientJs = twoRequestsJs(VIP, 30000);
        const c = ns.spawn(client, process.execPath, ['-e', clientJs]);
        const cport = (await waitLine(c, /ready \d+/, 20_000)).split(' ')[1]!.trim();
        await waitFor('the connection created on the new backup', async () => (await syncStats(s2))['created']! >= 1, {
          timeoutMs: 15_000,
          intervalMs: 200,
        });
        const listed = tsvsadm(s2, ['-Lnc']).stdout.split('\n');
        t.ok(
          listed.some((l) => l.includes('ESTABLISHED') && l.includes(`${CIP}:${cport}`)),
          `the new backup lists the connection made through the new master (${CIP}:${cport})`,
        );
      } finally {
        ns.destroy();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
