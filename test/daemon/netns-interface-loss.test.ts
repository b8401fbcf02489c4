// An interface that goes away under a running tsvsd, in the lab's namespaces: the client-side veth
// is deleted while traffic runs through the director; tsvsd logs the loss naming the interface,
// keeps running with its rules, shows the port as gone (tsvsadm --engine, tsvs_interface_up 0),
// and when a veth of the same name returns (new ifindex, new MAC) re-attaches to it, announces
// the VIP with the new MAC, and the same rules serve requests again.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { ip, macOf, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { makeClientLink } from '../lab/fixtures/client-link.ts';

const METRICS = '127.0.0.1:9101';

function inNs(ns: string, cmd: string, args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '' };
}

/** One request from the client to the VIP: the web server's name, or '' when it fails. */
function curl(lab: LabTopology): string {
  const r = inNs(lab.client, 'curl', ['-s', '--max-time', '3', `http://${VIP}/`]);
  return r.status === 0 ? r.stdout.trim() : '';
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('a deleted interface is reported, the state kept, and a returning one re-attached', async (t) => {
    const lab = new LabTopology(`il${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      const rules = `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r ${RIP1}:80 -m\n-a -t ${VIP}:80 -r ${RIP2}:80 -m\n`;
      await d.start({ extraArgs: ['--metrics', METRICS, '--backend', 'native'], engineExtra: `\n[rules]\n${rules}` });
      const first = await waitFor('a request through the director', () => curl(lab), { timeoutMs: 20_000 });
      t.match(first, /^web[12]$/);
      const oldMac = macOf(lab.lvs, 'eth0');
      const metrics = (): string => inNs(lab.lvs, 'curl', ['-s', `http://${METRICS}/metrics`]).stdout;
      t.match(metrics(), /^tsvs_interface_up\{interface="eth0"\} 1$/m);

      // Down and up again: the socket reports ENETDOWN (a poll error) and keeps serving once up.
      ip('-n', lab.lvs, 'link', 'set', 'eth0', 'down');
      ip('-n', lab.lvs, 'link', 'set', 'eth0', 'up');
      t.match(await waitFor('a request after the link came back up', () => curl(lab), { timeoutMs: 20_000 }), /^web/);

      const table = d.tsvsadm(['-Ln']).stdout;
      // Deleting lvs1's eth0 deletes its peer in the client too.
      ip('-n', lab.lvs, 'link', 'del', 'eth0');
      await waitFor('the loss in the log', () => /interface eth0 is gone/.test(readFileSync(d.logFile, 'utf8')));
      t.match(
        readFileSync(d.logFile, 'utf8'),
        /level=error msg="interface eth0 is gone: no frame is received or sent on it until an interface named eth0 returns; rules, connections and counters are kept" interface=eth0 ifindex=\d+\n/,
      );
      t.not(d.pid(), null, 'tsvsd is still running');
      t.equal(d.tsvsadm(['-Ln']).stdout, table, 'the rules are unchanged');
      const engine = d.tsvsadm(['--engine']).stdout;
      t.match(engine, /"name":"eth0",[^}]*"sockErrors":[1-9]\d*,"lastSockErrno":[1-9]/, 'socket errors counted');
      t.match(engine, /^ {2}eth0 GONE \(waiting for it to return\) ifindex \d+ lost 1 reattached 0$/m);
      t.match(metrics(), /^tsvs_interface_up\{interface="eth0"\} 0$/m);
      t.match(metrics(), /^tsvs_interface_losses_total\{interface="eth0"\} 1$/m);

      makeClientLink(lab);
      await waitFor('the re-attach in the log', () => /interface eth0 is back/.test(readFileSync(d.logFile, 'utf8')));
      const newMac = macOf(lab.lvs, 'eth0');
      t.not(newMac, oldMac, 'the returned veth has a new MAC');
      t.match(readFileSync(d.logFile, 'utf8'), new RegExp(`interface eth0 is back: re-attached.* mac=${newMac}\\n`));
      const again = await waitFor('a request through the same rules again', () => curl(lab), { timeoutMs: 20_000 });
      t.match(again, /^web[12]$/);
      const neigh = inNs(lab.client, 'ip', ['neigh', 'show', VIP]).stdout;
      t.match(neigh, new RegExp(`lladdr ${newMac}`), 'the VIP answers ARP with the new MAC');
      t.match(d.tsvsadm(['--engine']).stdout, /^ {2}eth0 up ifindex \d+ lost 1 reattached 1$/m);
      t.match(metrics(), /^tsvs_interface_up\{interface="eth0"\} 1$/m);
      const stats = d.tsvsadm(['-Ln', '--stats']).stdout;
      const conns = Number(/^TCP {2}\S+ +(\d+)/m.exec(stats)?.[1] ?? 0);
      t.ok(conns >= 2, `the service's counters went on from before the loss (${conns} connections)`);
    } catch (e) {
      t.comment(`tsvsd's log:\n${readFileSync(d.logFile, 'utf8')}`);
      throw e;
    } finally {
      d.stop();
      lab.down();
    }
  });
}
