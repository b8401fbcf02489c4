// IPv6 connections of a multi-worker tsvsd across restarts (src/daemon/restore-state6.ts,
// src/daemon/state-reshard.ts with the IPv6 layout), in the lab's dual-stack namespaces:
// keep-alive HTTP connections through [VIP6]:80 (NAT66) and [VIP6]:8080 (full NAT over IPv6),
// opened with `workers 2`, carry their next request after kill -9 and a start (each worker
// restores its own IPv6 shard), after starts with another worker count (2 -> 3 -> 1), where every
// IPv6 connection is dealt to the worker the fanout program's IPv6 arm sends its frames to, and
// across `tsvsd --takeover` to another count (1 -> 2) and to the same.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { RIP1_6, RIP2_6, VIP6 } from '../../lab/ipv6.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startPool, type KeepAlivePool, type PoolRound } from './fixtures/keepalive-pool.ts';

/** Connections per pool: enough that both workers of two hold some. */
const CONNS = 16;
const LADDR6 = '2001:db8:99::6';

interface ShardState {
  restored6: Record<string, number> | null;
  handedOverBy?: number | null;
  reshard6?: { connections: number; split: number; dealt: number[] } | null;
}

interface Stats {
  stateFile: ShardState;
  workers?: { index: number; stateFile: ShardState | null }[];
}

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
      let round = 1;
      const results = async (what: string): Promise<[PoolRound, PoolRound]> => {
        const r = round;
        const got = await waitFor(
          `round ${r} of requests ${what}`,
          () => {
            const a = nat.result(r);
            const b = fnat.result(r);
            return a !== undefined && b !== undefined ? ([a, b] as [PoolRound, PoolRound]) : null;
          },
          { timeoutMs: 60_000 },
        );
        return got!;
      };
      const [n1, f1] = await results('before any restart');
      t.equal(n1.ok.length, CONNS, 'every NAT66 connection answered');
      t.equal(f1.ok.length, CONNS, 'every FNAT66 connection answered');
      let natAlive = n1.ok;
      let fnatAlive = f1.ok;

      for (const [what, workers, how] of [
        ['after kill -9 and a start', 2, 'SIGKILL'],
        ['after a start with workers 3 (2 -> 3)', 3, 'count'],
        ['after a start with workers 1 (3 -> 1)', 1, 'count'],
        ['after tsvsd --takeover with workers 2 (1 -> 2)', 2, 'takeover'],
        ['after tsvsd --takeover (workers 2)', 2, 'takeover'],
      ] as const) {
        const old = d.pid();
        if (how === 'count') {
          d.stop();
          await d.start({ keepRules: true, engineExtra: engine(workers) });
        } else if (how === 'takeover') {
          const conf = join(d.dir, 'tsvsd.conf');
          writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^workers \d+$/m, `workers ${workers}`));
          const r = await d.takeover();
          t.not(r.pid, old, `${what}: another process forwards`);
        } else await d.restart(how);
        const st = (await waitFor(
          `${what}: the workers' first reports`,
          async () => {
            const s = (await d.request('engine.stats')) as Stats;
            return workers === 1 || s.workers?.length === workers ? s : null;
          },
          { timeoutMs: 20_000 },
        ))!;
        const restored = st.stateFile.restored6?.['connections'] ?? 0;
        const split = st.stateFile.reshard6?.split ?? 0;
        const alive = natAlive.length + fnatAlive.length;
        t.comment(`${what}: ${JSON.stringify(st.stateFile)}`);
        t.equal(
          restored,
          alive + split,
          `${what}: ${restored} IPv6 entries restored: ${alive} connections, ${split} split`,
        );
        t.equal(st.stateFile.restored6?.['torn'] ?? 0, 0, `${what}: no torn entry`);
        if (how === 'takeover') t.equal(st.stateFile.handedOverBy, old, `${what}: handed over by the old tsvsd`);
        if (what.includes('->')) {
          const imported = st.stateFile.restored6?.['imported'] ?? 0;
          t.equal(imported, alive + split, `${what}: ${imported} IPv6 entries dealt from the old files, none twice`);
        } else if (workers > 1) {
          const per = (st.workers ?? []).map((w) => w.stateFile?.restored6?.['connections'] ?? 0);
          t.ok(
            per.every((n) => n > 0),
            `${what}: every worker restored its IPv6 shard (${per})`,
          );
        }
        round++;
        nat.ask();
        fnat.ask();
        const [n, f] = await results(what);
        t.same(n.ok, natAlive, `${what}: every NAT66 connection carries its next request`);
        t.same(n.ports, n1.ports, `${what}: on the same sockets`);
        t.same(f.ok, fnatAlive, `${what}: every FNAT66 connection carries its next request (${split} split)`);
        t.same(f.ports, f1.ports, `${what}: on the same sockets`);
        natAlive = n.ok;
        fnatAlive = f.ok;
      }
      t.equal(natAlive.length + fnatAlive.length, 2 * CONNS, 'every IPv6 connection lived through every restart');
    } finally {
      for (const p of pools) if (p.child.exitCode === null) await stopChild(p.child);
      d.stop();
      lab.down();
    }
  });
}
