// The SYN proxy's automatic mode under a real flood: `hping3 -S --flood --rand-source` at the VIP
// for 8 s from a flooder namespace behind the client (test/helpers/flood-lab.ts), the service in
// its default mode (auto). The proxy engages by itself once the flood's embryonic entries pass the
// threshold; then every curl from the client completes, a keep-alive connection opened before
// the flood keeps answering during and after it, and the proxy disengages once the flood is over.
import t from 'tap';
import { type ChildProcess } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { delNetns, isAlive, netnsUnavailable, nsExists, spawnInNs, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, VIP } from '../../lab/topology.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { curlOk, hasHping3, KEEPALIVE, lines, type Reply } from '../helpers/flood-lab.ts';
import { addFlooder, startFlood } from '../../lab/flood.ts';

const FLOOD_S = 8;
const MAX_CURLS = 60;

const why = netnsUnavailable() ?? (hasHping3() ? null : 'hping3 is not installed (apt-get install hping3)');
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('during a random-source SYN flood the auto SYN proxy engages and every curl completes', async (t) => {
    const lab = new LabTopology(`spf${uniqueSuffix()}`);
    const flooder = `${lab.prefix}-flood`;
    const d = new LabDaemon(lab);
    let keep: ChildProcess | null = null;
    try {
      lab.up({ mode: 'tsvs' });
      addFlooder(lab, flooder);
      await d.start();
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.200:80', '-m']);
      t.notMatch(d.tsvsadm(['-Ln']).stdout, /synproxy/, 'auto shows nothing in -Ln');
      t.ok(curlOk(lab.client), 'the service answers before the flood');
      const stats = async (): Promise<Record<string, Record<string, number>>> =>
        (await d.request('engine.stats')) as Record<string, Record<string, number>>;
      t.equal((await stats())['synproxy']!['cookiesSent'], 0, 'no flood, no cookie: IPVS flow');

      keep = spawnInNs(lab.client, process.execPath, ['-e', KEEPALIVE], { stdio: ['pipe', 'pipe', 'ignore'] });
      const keepOut = lines(keep);
      await waitFor('the keep-alive connection to open', () => keepOut.length >= 1, { timeoutMs: 10_000 });
      const first = JSON.parse(keepOut[0]!) as Reply;
      t.equal(first.status, 200, 'keep-alive connection: first request answered');

      const flood = startFlood(flooder, FLOOD_S);
      await waitFor('the proxy to engage', async () => (await stats())['synproxy']!['engagedServices']! > 0, {
        timeoutMs: 5000,
      });
      let ok = 0;
      let tried = 0;
      while (flood.pid !== undefined && isAlive(flood.pid) && tried < MAX_CURLS) {
        tried++;
        if (curlOk(lab.client)) ok++;
        if (tried === 3) keep.stdin?.write('again\n');
      }
      await waitFor('the keep-alive answer during the flood', () => keepOut.length >= 2, { timeoutMs: 10_000 });
      await waitFor('hping3 to end', () => flood.pid === undefined || !isAlive(flood.pid), { timeoutMs: 15_000 });
      const after = await stats();
      const sp = after['synproxy']!;
      t.comment(
        `during the flood: ${ok}/${tried} curls answered; synproxy ${JSON.stringify(sp)}; drops ${JSON.stringify(after['drops'])}`,
      );
      t.ok(tried >= 3, `curls ran during the flood (${tried})`);
      t.equal(ok, tried, 'every curl during the flood completed');
      t.ok(sp['cookiesSent']! > 1000, 'the flood was answered with cookies');
      t.ok(sp['cookiesValidated']! >= ok, 'the curls proved their cookies');
      t.equal((JSON.parse(keepOut[1]!) as Reply).status, 200, 'the keep-alive connection answered during the flood');
      t.equal((JSON.parse(keepOut[1]!) as Reply).port, first.port, 'on the same connection');

      t.ok(curlOk(lab.client), 'right after the flood the service answers');
      await waitFor('the proxy to disengage', async () => (await stats())['synproxy']!['engagedServices'] === 0, {
        timeoutMs: 10_000,
      });
      keep.stdin?.write('again\n');
      await waitFor('the keep-alive connection to answer after the flood', () => keepOut.length >= 3, {
        timeoutMs: 10_000,
      });
      t.equal((JSON.parse(keepOut[2]!) as Reply).port, first.port, 'the keep-alive connection lives on after it');
    } finally {
      if (keep?.pid !== undefined) keep.kill('SIGTERM');
      delNetns(flooder);
      d.stop();
      lab.down();
    }
    t.notOk(nsExists(flooder) || lab.anyLeft(), 'no namespace left');
  });
}
