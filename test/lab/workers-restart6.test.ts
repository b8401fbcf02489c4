// IPv6 connections of a multi-worker tsvsd across restarts (src/daemon/restore-state6.ts,
// src/daemon/state-reshard.ts with the IPv6 layout), in the lab's dual-stack namespaces:
// keep-alive HTTP connections through [VIP6]:80 (NAT66) and [VIP6]:8080 (full NAT over IPv6),
// opened with `workers 2`, carry their next request after kill -9 and a start (each worker
// restores its own IPv6 shard), after starts with another worker count (2 -> 3 -> 1), where every
// IPv6 connection is dealt to the worker the fanout program's IPv6 arm sends its frames to, and
// across `tsvsd --takeover` to another count (1 -> 2) and to the same.
import t from 'tap';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { RIP1_6, RIP2_6, VIP6 } from '../../lab/ipv6.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { startPool, type KeepAlivePool } from './fixtures/keepalive-pool.ts';
import { restartRounds } from './fixtures/worker-restarts.ts';

/** Connections per pool: enough that both workers of two hold some. */
const CONNS = 16;
const LADDR6 = '2001:db8:99::6';

const engine = (workers: number): string =>
  `workers ${workers}\nfullnat-address ${LADDR6}\nfullnat-ports 20000-29999\n`;

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null)
  t.plan(0, `skipped: the state file needs the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('IPv6 keep-alive connections survive restarts of a multi-worker tsvsd, also with another count', async (t) => {
    const lab = new LabTopology(`k6${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    const pools: KeepAlivePool[] = [];
    try {
      lab.up({ mode: 'tsvs', ipv6: true });
      await d.start({ engineExtra: engine(2) });
      d.tsvsadm(['-A', '-t', `[${VIP6}]:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `[${VIP6}]:80`, '-r', `[${RIP1_6}]:80`, '-m']);
      d.tsvsadm(['-a', '-t', `[${VIP6}]:80`, '-r', `[${RIP2_6}]:80`, '-m']);
      d.tsvsadm(['-A', '-t', `[${VIP6}]:8080`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `[${VIP6}]:8080`, '-r', `[${RIP1_6}]:80`, '-F']);
      const nat = startPool(lab.client, VIP6, 80, CONNS, 10_000);
      const fnat = startPool(lab.client, VIP6, 8080, CONNS, 5_000);
      pools.push(nat, fnat);
      const lived = await restartRounds(
        t,
        { d, nat, fnat, conns: CONNS, engine, family: '6', names: ['NAT66', 'FNAT66'] },
        [
          ['after kill -9 and a start', 2, 'SIGKILL'],
          ['after a start with workers 3 (2 -> 3)', 3, 'count'],
          ['after a start with workers 1 (3 -> 1)', 1, 'count'],
          ['after tsvsd --takeover with workers 2 (1 -> 2)', 2, 'takeover'],
          ['after tsvsd --takeover (workers 2)', 2, 'takeover'],
        ],
      );
      t.equal(lived, 2 * CONNS, 'every IPv6 connection lived through every restart');
    } finally {
      for (const p of pools) if (p.child.exitCode === null) await stopChild(p.child);
      d.stop();
      lab.down();
    }
  });
}
