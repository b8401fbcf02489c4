// tsvsd with `[engine] workers 2` and bulk TCP in the lab's namespaces: the real server's kernel
// sends GSO superpackets over the veth, and each worker's jumbo ring is in a fanout group of its
// own with the same program (AfPacketIo.joinFanout), so the transfer's superpackets land whole in
// the jumbo ring of the one worker that holds the connection, never in the other's (outside a
// group every jumbo socket would get a copy of each). The transfer completes byte for byte.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { expectedSha, startReceiver, startSender, type Lines } from './fixtures/restart-traffic.ts';

const DATA_PORT = 5001;
const MIB = 64;

interface WorkerRow {
  index: number;
  forwardedOut: number;
  rxJumbo: number;
}

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null) t.plan(0, `skipped: workers need the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('two workers: a bulk transfer lands in one worker jumbo ring and arrives whole', async (t) => {
    const lab = new LabTopology(`tj${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const kids: Lines[] = [];
    try {
      lab.up({ mode: 'tsvs' });
      await d.start({ engineExtra: 'workers 2\n' });
      d.tsvsadm(['-A', '-t', `${VIP}:${DATA_PORT}`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:${DATA_PORT}`, '-r', `${RIP1}:${DATA_PORT}`, '-m']);

      const sender = startSender(lab.web1, RIP1, DATA_PORT, MIB, 0);
      kids.push(sender);
      await waitFor('the sender to listen', () => sender.last('listening'), { timeoutMs: 30_000 });
      const rx = startReceiver(lab.client, VIP, DATA_PORT);
      kids.push(rx);
      const done = await waitFor('the transfer to end', () => rx.last('{') ?? rx.last('error'), {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const res = JSON.parse(done!) as { bytes: number; sha: string };
      t.equal(res.bytes, MIB << 20, `all ${MIB} MiB arrived`);
      t.equal(res.sha, expectedSha(MIB), 'byte for byte what was sent (sha256)');

      // Reports come once a second: wait for the one that includes the whole transfer.
      const rows = (await waitFor(
        'the workers to report the transfer',
        async () => {
          const s = (await d.request('engine.stats')) as { workers: WorkerRow[] };
          const out = s.workers.reduce((n, w) => n + w.forwardedOut, 0);
          return s.workers.length === 2 && out > 0 && s.workers.some((w) => w.rxJumbo > 0) ? s.workers : null;
        },
        { timeoutMs: 20_000 },
      ))!;
      t.comment(`per worker: ${JSON.stringify(rows)}`);
      const holder = rows.find((w) => w.forwardedOut > 0)!;
      t.ok(holder.rxJumbo > 0, `worker ${holder.index} took ${holder.rxJumbo} superpackets in its jumbo ring`);
      const other = rows.find((w) => w !== holder)!;
      t.equal(other.forwardedOut, 0, 'the other worker forwarded none of the flow');
      t.equal(other.rxJumbo, 0, "and its jumbo ring got none of the flow's superpackets");
    } finally {
      for (const k of kids) if (k.child.exitCode === null) await stopChild(k.child);
      d.stop();
      lab.down();
    }
  });
}
