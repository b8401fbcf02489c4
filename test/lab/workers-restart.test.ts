// The connection state file of a multi-worker tsvsd (src/daemon/state-reshard.ts), in the lab's
// namespaces: keep-alive HTTP connections through the VIP, classic NAT and full NAT, opened with
// `workers 2`, carry their next request after SIGTERM + start and after kill -9 (each worker
// restores its own shard), and after starts with another worker count (2 -> 3 -> 1 -> 2), where
// every connection is dealt to the worker the fanout program sends its frames to (a full-NAT one
// whose client frames and replies reach two workers to both: `split`), and across `tsvsd
// --takeover` to the same count and to another (2 -> 2 -> 3 -> 1 -> 2).
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { startPool, type KeepAlivePool } from './fixtures/keepalive-pool.ts';
import { restartRounds } from './fixtures/worker-restarts.ts';

/** Connections per pool: enough that both workers of two hold some (all on one: 2^-47). */
const CONNS = 24;

const engine = (workers: number): string => `workers ${workers}\nfullnat-ports 20000-29999\n`;

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null)
  t.plan(0, `skipped: the state file needs the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test(
    'keep-alive connections survive restarts of a multi-worker tsvsd, also with another worker count',
    async (t) => {
      const lab = new LabTopology(`tk${uniqueSuffix()}`);
      const d = new LabDaemon(lab);
      const pools: KeepAlivePool[] = [];
      try {
        lab.up({ mode: 'tsvs' });
        await d.start({ engineExtra: engine(2) });
        d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
        d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m']);
        d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-m']);
        d.tsvsadm(['-A', '-t', `${VIP}:8080`, '-s', 'rr']);
        d.tsvsadm(['-a', '-t', `${VIP}:8080`, '-r', `${RIP1}:80`, '-F']);
        const nat = startPool(lab.client, VIP, 80, CONNS, 10_000);
        const fnat = startPool(lab.client, VIP, 8080, CONNS, 5_000);
        pools.push(nat, fnat);
        const lived = await restartRounds(
          t,
          { d, nat, fnat, conns: CONNS, engine, family: '', names: ['classic NAT', 'full NAT'] },
          [
            ['after SIGTERM and a start', 2, 'SIGTERM'],
            ['after kill -9 and a start', 2, 'SIGKILL'],
            ['after a start with workers 3 (2 -> 3)', 3, 'count'],
            ['after a start with workers 1 (3 -> 1)', 1, 'count'],
            ['after a start with workers 2 (1 -> 2)', 2, 'count'],
            ['after tsvsd --takeover (workers 2)', 2, 'takeover'],
            ['after tsvsd --takeover with workers 3 (2 -> 3)', 3, 'takeover'],
            ['after tsvsd --takeover with workers 1 (3 -> 1)', 1, 'takeover'],
            ['after tsvsd --takeover with workers 2 (1 -> 2)', 2, 'takeover'],
          ],
        );
        t.equal(lived, 2 * CONNS, 'every connection lived through every restart');
      } finally {
        for (const p of pools) if (p.child.exitCode === null) await stopChild(p.child);
        d.stop();
        lab.down();
      }
    },
  );
}
