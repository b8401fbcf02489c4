// A real SYN flood against tsvsd in the lab: `hping3 -S --flood --rand-source` at the VIP for 8 s
// from a flooder namespace whose only way out is through the lab's client namespace into lvs1
// (the random sources never leave the lab: lvs1 has no route to them and drops the replies),
// while the client curls the VIP and holds a keep-alive connection opened before the flood.
// The service's SYN proxy is off (`never`): with the embryonic quota and the defence on, curls
// keep succeeding during the flood and the keep-alive connection still works after it.
import t from 'tap';
import { type ChildProcess } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { delNetns, isAlive, nsExists, spawnInNs, uniqueSuffix } from '../../lab/netns.ts';
import { netnsUnavailable } from '../../lab/netns.ts';
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
  t.test('during a random-source SYN flood curls succeed and a keep-alive connection lives on', async (t) => {
    const lab = new LabTopology(`sf${uniqueSuffix()}`);
    const flooder = `${lab.prefix}-flood`;
    const d = new LabDaemon(lab);
    let keep: ChildProcess | null = null;
    try {
      lab.up({ mode: 'tsvs' });
      addFlooder(lab, flooder);
      // The defence on: auto levels with amemthresh above the free entries the quota leaves
      // (65536 - 32768), so drop_entry, drop_packet and secure_tcp engage during the flood.
      await d.start({
        engineExtra: 'embryonic-quota 50\ndrop-entry 1\ndrop-packet 1\nsecure-tcp 1\namemthresh 40000\n',
      });
      // SYN proxy `never`: IPVS's defences on their own (synproxy-flood.test.ts has the proxy).
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr', '--synproxy', 'never']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.100:80', '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', '192.168.99.200:80', '-m']);
      t.ok(curlOk(lab.client), 'the service answers before the flood');

      keep = spawnInNs(lab.client, process.execPath, ['-e', KEEPALIVE], { stdio: ['pipe', 'pipe', 'ignore'] });
      const keepOut = lines(keep);
      await waitFor('the keep-alive connection to open', () => keepOut.length >= 1, { timeoutMs: 10_000 });
      const first = JSON.parse(keepOut[0]!) as Reply;
      t.equal(first.status, 200, 'keep-alive connection: first request answered');

      const flood = startFlood(flooder, FLOOD_S);
      const stats = async (): Promise<Record<string, unknown>> =>
        (await d.request('engine.stats')) as Record<string, unknown>;
      const defense = async (): Promise<Record<string, number | boolean>> =>
        (await stats())['defense'] as Record<string, number | boolean>;
      await waitFor(
        'the flood to fill the embryonic quota',
        async () => ((await defense())['embryonicRecycled'] as number) > 0,
        {
          timeoutMs: 5000,
        },
      );
      let ok = 0;
      let tried = 0;
      while (flood.pid !== undefined && isAlive(flood.pid) && tried < MAX_CURLS) {
        tried++;
        if (curlOk(lab.client)) ok++;
      }
      const during = await defense();
      await waitFor('hping3 to end', () => flood.pid === undefined || !isAlive(flood.pid), { timeoutMs: 15_000 });
      const after = await stats();
      const def = after['defense'] as Record<string, number | boolean>;
      t.comment(
        `during the flood: ${ok}/${tried} curls answered; embryonic ${String(def['embryonic'])} of ${String(def['embryonicQuota'])}, ` +
          `recycled ${String(def['embryonicRecycled'])}; drop_entry deleted ${String(def['entriesDropped'])}, ` +
          `drop_packet dropped ${String(def['packetsDropped'])}; drops ${JSON.stringify(after['drops'])}`,
      );
      t.ok(tried >= 3, `curls ran during the flood (${tried})`);
      t.ok(ok / tried >= 0.8, `at least 80% of the curls during the flood answered (${ok}/${tried})`);
      t.equal(during['nomem'], true, 'free entries fell below amemthresh: the auto levels engaged');
      t.same([during['dropEntry'], during['dropPacket'], during['secureTcp']], [2, 2, 2]);
      t.equal((after['drops'] as Record<string, number>)['conn_table_full'] ?? 0, 0, 'the table never ran full');
      t.ok(curlOk(lab.client), 'right after the flood the service answers (no 60 s of SYN_RECV debris)');

      keep.stdin?.write('again\n');
      await waitFor('the keep-alive connection to answer again', () => keepOut.length >= 2, { timeoutMs: 10_000 });
      const second = JSON.parse(keepOut[1]!) as Reply;
      t.equal(second.status, 200, 'the keep-alive connection opened before the flood works after it');
      t.equal(second.port, first.port, 'on the same connection');
    } finally {
      if (keep?.pid !== undefined) keep.kill('SIGTERM');
      delNetns(flooder); // kills what still runs in it (hping3), by PID
      d.stop();
      lab.down();
    }
    t.notOk(nsExists(flooder) || lab.anyLeft(), 'no namespace left');
  });
}
