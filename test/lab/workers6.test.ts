// tsvsd with `[engine] workers 2` on the dual-stack NAT lab: NAT66 connections spread over both
// data-path threads by the fanout program's IPv6 arm (src/io/fanout-program6.ts). Every request
// is answered, so every reply reached the worker holding its connection; both workers forwarded
// IPv6 both ways; the second worker, which never sees neighbour discovery, reaches the real
// servers through the neighbours worker 0 learned and relayed. Full NAT over IPv6 too: replies to
// the local address reach the worker that owns the local port.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { RIP1_6, RIP2_6, VIP6, VIP6_URL } from '../../lab/ipv6.ts';
import { netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { httpRequests } from './fixtures/http-requests.ts';

const REQUESTS = 120;
const LADDR6 = '2001:db8:99::6';

interface Stats {
  workerCrashes: number;
  forwardedIn: number;
  workers: { index: number; forwardedIn: number; forwardedOut: number }[];
}

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null) t.plan(0, `skipped: workers need the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('two workers forward NAT66 and FNAT66 connections, each flow on one worker', async (t) => {
    const lab = new LabTopology(`tw6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      await d.start({ engineExtra: `workers 2\nfullnat-address ${LADDR6}\nfullnat-ports 20000-29999\n` });
      const svc = `[${VIP6}]:80`;
      d.tsvsadm(['-A', '-t', svc, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP1_6}]:80`, '-m']);
      d.tsvsadm(['-a', '-t', svc, '-r', `[${RIP2_6}]:80`, '-m']);
      const fsvc = `[${VIP6}]:8080`;
      d.tsvsadm(['-A', '-t', fsvc, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', fsvc, '-r', `[${RIP1_6}]:80`, '-F']);

      t.equal(
        await httpRequests(lab.client, VIP6_URL, REQUESTS),
        `done ok=${REQUESTS} bad=0`,
        'every NAT66 request was answered',
      );
      // Full NAT: the replies come back to the local address, and the program sends each to the
      // worker owning its local port (lport % 2), the one that holds the connection.
      t.equal(
        await httpRequests(lab.client, `http://[${VIP6}]:8080/`, REQUESTS),
        `done ok=${REQUESTS} bad=0`,
        'every FNAT66 request was answered',
      );
      const stats = (await waitFor(
        'both workers to report the traffic',
        async () => {
          const s = (await d.request('engine.stats')) as Stats;
          return s.workers.length === 2 && s.forwardedIn >= REQUESTS * 2 * 3 ? s : null;
        },
        { timeoutMs: 20_000 },
      ))!;
      t.equal(stats.workerCrashes, 0);
      for (const w of stats.workers) {
        t.ok(
          w.forwardedIn > 0 && w.forwardedOut > 0,
          `worker ${w.index} forwarded in ${w.forwardedIn}, out ${w.forwardedOut}`,
        );
      }
      // The shards report once a second: wait for the reports that hold the last connections.
      const count = (text: string, port: number): number =>
        Number(new RegExp(`TCP\\s+\\[2001:db8:88::5\\]:${port}\\s+(\\d+)`).exec(text)?.[1] ?? -1);
      const listed =
        (await waitFor(
          'the merged -Ln --stats to count every connection',
          async () => {
            const text = d.tsvsadm(['-Ln', '--stats']).stdout;
            return count(text, 80) >= REQUESTS && count(text, 8080) >= REQUESTS ? text : null;
          },
          { timeoutMs: 10_000 },
        ).catch(() => null)) ?? d.tsvsadm(['-Ln', '--stats']).stdout;
      const conns = count(listed, 80);
      t.equal(conns, REQUESTS, '-Ln --stats sums the IPv6 connections of both shards');
      const fconns = count(listed, 8080);
      t.equal(fconns, REQUESTS, 'and the full NAT ones');
    } finally {
      d.stop();
      lab.down();
    }
  });
}
