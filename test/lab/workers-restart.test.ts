// The connection state file of a multi-worker tsvsd (src/daemon/state-reshard.ts), in the lab's
// namespaces: keep-alive HTTP connections through the VIP, classic NAT and full NAT, opened with
// `workers 2`, carry their next request after SIGTERM + start and after kill -9 (each worker
// restores its own shard), and after starts with another worker count (2 -> 3 -> 1 -> 2), where
// every connection is dealt to the worker the fanout program sends its frames to (a full-NAT one
// whose client frames and replies reach two workers to both: `split`), and across `tsvsd
// --takeover` to the same count and to another (2 -> 2 -> 3 -> 1 -> 2).
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startPool, type KeepAlivePool, type PoolRound } from './fixtures/keepalive-pool.ts';

/** Connections per pool: enough that both workers of two hold some (all on one: 2^-47). */
const CONNS = 24;

interface ShardState {
  restored: Record<string, number> | null;
  handedOverBy?: number | null;
  reshard?: { connections: number; split: number; dealt: number[] } | null;
}

interface Stats {
  stateFile: ShardState;
  workers?: { index: number; stateFile: ShardState | null }[];
}

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
        t.equal(n1.ok.length, CONNS, 'every classic NAT connection answered');
        t.equal(f1.ok.length, CONNS, 'every full NAT connection answered');
        let natAlive = n1.ok;
        let fnatAlive = f1.ok;

        for (const [what, workers, how] of [
          ['after SIGTERM and a start', 2, 'SIGTERM'],
          ['after kill -9 and a start', 2, 'SIGKILL'],
          ['after a start with workers 3 (2 -> 3)', 3, 'count'],
          ['after a start with workers 1 (3 -> 1)', 1, 'count'],
          ['after a start with workers 2 (1 -> 2)', 2, 'count'],
          ['after tsvsd --takeover (workers 2)', 2, 'takeover'],
          ['after tsvsd --takeover with workers 3 (2 -> 3)', 3, 'takeover'],
          ['after tsvsd --takeover with workers 1 (3 -> 1)', 1, 'takeover'],
          ['after tsvsd --takeover with workers 2 (1 -> 2)', 2, 'takeover'],
        ] as const) {
          const old = d.pid();
          if (how === 'count') {
            d.stop();
            await d.start({ keepRules: true, engineExtra: engine(workers) });
          } else if (how === 'takeover') {
            // The successor reads the config the lab wrote: the new count goes in there.
            const conf = join(d.dir, 'tsvsd.conf');
            writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^workers \d+$/m, `workers ${workers}`));
            const r = await d.takeover();
            t.not(r.pid, old, `${what}: another process forwards`);
          } else await d.restart(how);
          // The workers report once a second: wait until every one has.
          const st = (await waitFor(
            `${what}: the workers' first reports`,
            async () => {
              const s = (await d.request('engine.stats')) as Stats;
              return workers === 1 || s.workers?.length === workers ? s : null;
            },
            { timeoutMs: 20_000 },
          ))!;
          const restored = st.stateFile.restored?.['connections'] ?? 0;
          const split = st.stateFile.reshard?.split ?? 0;
          const alive = natAlive.length + fnatAlive.length;
          t.comment(`${what}: ${JSON.stringify(st.stateFile)}`);
          t.equal(
            restored,
            alive + split,
            `${what}: ${restored} entries restored: ${alive} connections, ${split} split`,
          );
          t.equal(st.stateFile.restored?.['torn'] ?? 0, 0, `${what}: no torn entry`);
          if (how === 'takeover') t.equal(st.stateFile.handedOverBy, old, `${what}: handed over by the old tsvsd`);
          if (how !== 'count' && !what.includes('->')) {
            t.equal(split, 0, `${what}: the same worker count splits nothing`);
            const per = (st.workers ?? []).map((w) => w.stateFile?.restored?.['connections'] ?? 0);
            t.ok(
              per.length === workers && per.every((n) => n > 0),
              `${what}: every worker restored its shard (${per})`,
            );
          } else {
            const imported = st.stateFile.restored?.['imported'] ?? 0;
            t.equal(imported, alive + split, `${what}: ${imported} entries dealt from the old files, none twice`);
          }
          round++;
          nat.ask();
          fnat.ask();
          const [n, f] = await results(what);
          t.same(n.ok, natAlive, `${what}: every classic NAT connection carries its next request`);
          t.same(n.ports, n1.ports, `${what}: on the same sockets`);
          t.same(f.ok, fnatAlive, `${what}: every full NAT connection carries its next request (${split} split)`);
          t.same(f.ports, f1.ports, `${what}: on the same sockets`);
          natAlive = n.ok;
          fnatAlive = f.ok;
        }
        t.equal(natAlive.length + fnatAlive.length, 2 * CONNS, 'every connection lived through every restart');
      } finally {
        for (const p of pools) if (p.child.exitCode === null) await stopChild(p.child);
        d.stop();
        lab.down();
      }
    },
  );
}
