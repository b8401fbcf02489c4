// The neighbour snapshot across `kill -9`, in the lab's namespaces: a keep-alive HTTP connection
// through the VIP (NAT), tsvsd killed -9 and started again with the same arguments; the new
// process puts the real server's and the client's MACs back from the snapshot (STALE), so the
// first request on the carried-over connection is forwarded both ways without any frame waiting
// for ARP; the entries it used are then re-confirmed by ARP (REACHABLE again).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { NUD_REACHABLE, NUD_STALE } from '../../src/datapath/neigh-state.ts';
import { neighSnapshotPath } from '../../src/daemon/neigh-snapshot.ts';
import { ipToString } from '../../src/lib/inet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startKeepAlive } from './fixtures/restart-traffic.ts';

interface Stats {
  forwardedIn: number;
  forwardedOut: number;
  neighWaits: number;
  neighbours: { ip: number; mac: string; state: number }[];
  stateFile: { path: string | null; restored: Record<string, number> | null; neighboursRestored: number };
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (tryLoadNative() === null) {
  t.plan(0, `skipped: the state file needs the native addon: ${nativeLoadError() ?? ''}`);
} else {
  t.test('after kill -9 the first forwarded packets need no ARP resolution', async (t) => {
    const lab = new LabTopology(`tn${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    let ka: ReturnType<typeof startKeepAlive> | null = null;
    try {
      lab.up({ mode: 'tsvs' });
      await d.start();
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m']);
      ka = startKeepAlive(lab.client, VIP);
      const k = ka;
      const first = await waitFor('the keep-alive answer', () => k.last('ok ') ?? k.last('error'), {
        timeoutMs: 30_000,
      });
      t.match(first, /^ok /, 'the keep-alive connection answers');
      const before = (await d.request('engine.stats')) as Stats;
      const snapshot = neighSnapshotPath(before.stateFile.path!);
      // The snapshot is written within a second of a change: wait until it holds the real server.
      await waitFor(
        'the snapshot to hold the real server',
        () => {
          try {
            return readFileSync(snapshot, 'utf8').includes(`"${RIP1}"`);
          } catch {
            return false;
          }
        },
        { timeoutMs: 10_000 },
      );

      await d.restart('SIGKILL');
      const after = (await d.request('engine.stats')) as Stats;
      t.ok((after.stateFile.restored?.['connections'] ?? 0) >= 1, 'the connection was carried over');
      t.ok(after.stateFile.neighboursRestored >= 2, `${after.stateFile.neighboursRestored} neighbours restored`);
      const rs = after.neighbours.find((n) => ipToString(n.ip) === RIP1);
      t.equal(rs?.state, NUD_STALE, 'the real server is known, STALE');

      ka.send('again');
      await waitFor(
        'the answer after the kill',
        () => (k.count('ok ') >= 2 ? true : (k.last('error') ?? k.last('closed'))),
        {
          timeoutMs: 30_000,
        },
      );
      t.equal(ka.last('ok '), first, 'the same connection answers after kill -9');
      const st = (await d.request('engine.stats')) as Stats;
      t.ok(st.forwardedIn > 0 && st.forwardedOut > 0, `forwarded ${st.forwardedIn} in, ${st.forwardedOut} out`);
      t.equal(st.neighWaits, 0, 'no frame waited for an ARP resolution');

      // Used, so re-confirmed: the real server's entry becomes REACHABLE by its ARP reply.
      await waitFor(
        'the real server re-confirmed',
        async () =>
          ((await d.request('engine.stats')) as Stats).neighbours.find((n) => ipToString(n.ip) === RIP1)?.state ===
          NUD_REACHABLE,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      t.pass('the real server is REACHABLE again after an ARP probe');
    } finally {
      if (ka !== null && ka.child.exitCode === null) await stopChild(ka.child);
      d.stop();
      lab.down();
    }
  });
}
