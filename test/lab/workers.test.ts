// tsvsd with `[engine] workers 2` in the lab's namespaces: classic NAT and full NAT connections
// through two data-path threads. Every request is answered (so every reply reached the worker that
// holds its connection), both workers forwarded both ways, the listings merge the shards, a rule
// change reaches both workers, and SIGTERM stops the threads cleanly.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { httpRequests } from './fixtures/http-requests.ts';

const REQUESTS = 120;

interface WorkerRow {
  index: number;
  forwardedIn: number;
  forwardedOut: number;
  rulesVersion: number;
}

interface Stats {
  workerCount: number;
  workerCrashes: number;
  forwardedIn: number;
  forwardedOut: number;
  workers: WorkerRow[];
}

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null) t.plan(0, `skipped: workers need the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('two workers forward classic NAT and full NAT connections, each flow on one worker', async (t) => {
    const lab = new LabTopology(`tw${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      const pid = await d.start({ engineExtra: 'workers 2\nfullnat-ports 20000-29999\n' });
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-m']);
      d.tsvsadm(['-A', '-t', `${VIP}:8080`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:8080`, '-r', `${RIP1}:80`, '-F']);

      const run = (url: string): Promise<string> => httpRequests(lab.client, url, REQUESTS);
      t.equal(await run(`http://${VIP}/`), `done ok=${REQUESTS} bad=0`, 'every classic NAT request was answered');
      t.equal(await run(`http://${VIP}:8080/`), `done ok=${REQUESTS} bad=0`, 'every full NAT request was answered');

      const stats = (await waitFor(
        'both workers to report the traffic',
        async () => {
          const s = (await d.request('engine.stats')) as Stats;
          return s.workers.length === 2 && s.forwardedIn >= REQUESTS * 2 * 3 ? s : null;
        },
        { timeoutMs: 20_000 },
      ))!;
      t.comment(`drops: ${JSON.stringify((stats as unknown as { drops: unknown }).drops)}`);
      t.equal(stats.workerCount, 2);
      t.equal(stats.workerCrashes, 0);
      for (const w of stats.workers) {
        t.ok(
          w.forwardedIn > 0 && w.forwardedOut > 0,
          `worker ${w.index} forwarded in ${w.forwardedIn}, out ${w.forwardedOut}`,
        );
      }

      // The shards report once a second: wait for the reports that hold the last connections.
      const connsOf = (text: string, port: number): number =>
        Number(new RegExp(`TCP\\s+${VIP.replace(/\./g, '\\.')}:${port}\\s+(\\d+)`).exec(text)?.[1] ?? -1);
      const listed =
        (await waitFor(
          'the merged -Ln --stats to count every connection',
          async () => {
            const text = d.tsvsadm(['-Ln', '--stats']).stdout;
            return connsOf(text, 80) >= REQUESTS && connsOf(text, 8080) >= REQUESTS ? text : null;
          },
          { timeoutMs: 10_000 },
        ).catch(() => null)) ?? d.tsvsadm(['-Ln', '--stats']).stdout;
      const svcConns = (port: number): number => connsOf(listed, port);
      t.equal(svcConns(80), REQUESTS, '-Ln --stats sums the connections of both shards (classic NAT)');
      t.equal(svcConns(8080), REQUESTS, '-Ln --stats sums the connections of both shards (full NAT)');
      const conns = d
        .tsvsadm(['-Lnc'])
        .stdout.split('\n')
        .filter((l) => l.includes(`${VIP}:80`));
      t.ok(conns.length > 0, `-Lnc lists the shards' entries (${conns.length} for ${VIP}:80)`);

      d.tsvsadm(['-d', '-t', `${VIP}:80`, '-r', `${RIP2}:80`]);
      const after = await waitFor(
        'both workers to apply the rule change',
        async () => {
          const s = (await d.request('engine.stats')) as Stats;
          const v = s.workers.map((w) => w.rulesVersion);
          return v.length === 2 && v[0] === v[1] && v[0]! > stats.workers[0]!.rulesVersion ? s : null;
        },
        { timeoutMs: 20_000 },
      );
      t.ok(after, 'both workers run the same, newer rule set');
      t.equal(await run(`http://${VIP}/`), `done ok=${REQUESTS} bad=0`, 'requests after the change are answered');

      d.stop();
      t.notOk(isAlive(pid), 'tsvsd stopped on SIGTERM');
      const log = existsSync(d.logFile) ? readFileSync(d.logFile, 'utf8') : '';
      t.notMatch(log, /worker died/, 'no worker died');
    } finally {
      d.stop();
      lab.down();
    }
  });
}
