// tsvsd with `[engine] workers 2` while its interfaces go down and up, and while the client-side
// veth is deleted and made again (new ifindex, new MAC): after each, classic NAT and full NAT
// requests are all answered, each new connection is counted once (a socket outside the fanout
// group would hand every SYN to both workers, which would both schedule it), and both workers
// forward both ways again (a worker missing from a group would get none of its flows' frames).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { ip, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { makeClientLink } from './fixtures/client-link.ts';
import { httpRequests } from './fixtures/http-requests.ts';

const REQUESTS = 60;

interface WorkerRow {
  index: number;
  forwardedIn: number;
  forwardedOut: number;
}

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null) t.plan(0, `skipped: workers need the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('two workers keep their fanout groups across link down/up and rejoin them after a re-attach', async (t) => {
    const lab = new LabTopology(`tr${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      await d.start({ engineExtra: 'workers 2\nfullnat-ports 20000-29999\n' });
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-m']);
      d.tsvsadm(['-A', '-t', `${VIP}:8080`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:8080`, '-r', `${RIP1}:80`, '-F']);

      const conns = (port: number): number => {
        const listed = d.tsvsadm(['-Ln', '--stats']).stdout;
        return Number(new RegExp(`TCP\\s+${VIP.replace(/\./g, '\\.')}:${port}\\s+(\\d+)`).exec(listed)?.[1] ?? -1);
      };
      const rows = async (): Promise<WorkerRow[]> =>
        ((await d.request('engine.stats')) as { workers: WorkerRow[] }).workers;

      /** A round of requests to both services; what each worker forwarded in it. */
      const round = async (what: string): Promise<void> => {
        const before = await rows();
        const c80 = conns(80);
        const c8080 = conns(8080);
        t.equal(
          await httpRequests(lab.client, `http://${VIP}/`, REQUESTS),
          `done ok=${REQUESTS} bad=0`,
          `${what}: classic NAT`,
        );
        t.equal(
          await httpRequests(lab.client, `http://${VIP}:8080/`, REQUESTS),
          `done ok=${REQUESTS} bad=0`,
          `${what}: full NAT`,
        );
        const want = c80 + c8080 + 2 * REQUESTS;
        await waitFor('the shards to report the round', () => conns(80) + conns(8080) >= want, { timeoutMs: 20_000 });
        t.equal(conns(80) - c80, REQUESTS, `${what}: each classic NAT connection scheduled once`);
        t.equal(conns(8080) - c8080, REQUESTS, `${what}: each full NAT connection scheduled once`);
        const after = await waitFor(
          'both workers to report',
          async () => {
            const r = await rows();
            return r.every((w, i) => w.forwardedIn > before[i]!.forwardedIn && w.forwardedOut > before[i]!.forwardedOut)
              ? r
              : null;
          },
          { timeoutMs: 20_000 },
        ).catch(() => null);
        t.ok(after, `${what}: both workers forwarded in and out frames (${JSON.stringify(await rows())})`);
      };

      await round('at start');

      for (const dev of ['eth0', 'eth1']) ip('-n', lab.lvs, 'link', 'set', dev, 'down');
      for (const dev of ['eth1', 'eth0']) ip('-n', lab.lvs, 'link', 'set', dev, 'up');
      await waitFor('a request after the links came back up', () =>
        httpRequests(lab.client, `http://${VIP}/`, 1).then((r) => r === 'done ok=1 bad=0'),
      );
      await round('after link down/up');

      ip('-n', lab.lvs, 'link', 'del', 'eth0'); // and its peer in the client
      await waitFor('the loss in the log', () => /interface eth0 is gone/.test(readFileSync(d.logFile, 'utf8')));
      makeClientLink(lab);
      await waitFor(
        'both workers to re-attach eth0',
        () => (readFileSync(d.logFile, 'utf8').match(/interface eth0 is back: re-attached/g) ?? []).length >= 2,
        { timeoutMs: 20_000 },
      );
      await waitFor(
        'a request after the re-attach',
        () => httpRequests(lab.client, `http://${VIP}/`, 1).then((r) => r === 'done ok=1 bad=0'),
        { timeoutMs: 30_000 },
      );
      await round('after the re-attach');
      const log = readFileSync(d.logFile, 'utf8');
      t.equal((log.match(/interface eth0 is back: re-attached/g) ?? []).length, 2, 'each worker re-attached eth0 once');
      t.match(log, /interface eth0 is back: every worker re-attached and joined its fanout groups/);
      t.notMatch(readFileSync(d.logFile, 'utf8'), /worker died/, 'no worker died');
    } catch (e) {
      t.comment(`tsvsd's log:\n${readFileSync(d.logFile, 'utf8')}`);
      throw e;
    } finally {
      d.stop();
      lab.down();
    }
  });
}
