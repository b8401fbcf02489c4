// Reload under load, in the lab's namespaces: wrk drives keep-alive HTTP through the tutorial's
// service (192.168.88.5:80 -> web1, web2) while two SIGHUPs each change over a thousand rules of
// 500 other services (removals, scheduler and weight edits, additions) and the weights of the
// tutorial's real servers. No request fails, no connection breaks (wrk would reconnect, and the
// service would count more than wrk's 50 connections), and `tsvsadm -Sn` ends equal to the
// config. The reload's duration (from the log) and wrk's worst latency are printed, not asserted.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, spawnInNs, stopChild, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { serviceRules as others } from '../helpers/rule-lines.ts';

const CONNS = 50;

/** The tutorial's service with its two real servers' weights. */
function tutorial(w1: number, w2: number): string[] {
  return [
    `-A -t ${VIP}:80 -s wrr`,
    `-a -t ${VIP}:80 -r ${RIP1}:80 -m -w ${w1}`,
    `-a -t ${VIP}:80 -r ${RIP2}:80 -m -w ${w2}`,
  ];
}

const sorted = (lines: readonly string[]): string =>
  lines
    .filter((l) => l !== '')
    .sort()
    .join('\n');

/** The services and real servers that `b` adds, edits or removes against `a` (one each). */
function changed(a: readonly string[], b: readonly string[]): number {
  const byKey = (lines: readonly string[]): Map<string, string> =>
    new Map(lines.map((l) => [/^-[Aa] -t \S+( -r \S+)?/.exec(l)![0], l]));
  const ka = byKey(a);
  const kb = byKey(b);
  let n = 0;
  for (const [k, l] of kb) if (ka.get(k) !== l) n++;
  for (const k of ka.keys()) if (!kb.has(k)) n++;
  return n;
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else if (spawnSync('wrk', ['--version']).error !== undefined) {
  t.plan(0, 'skipped: wrk is missing (npm run setup installs it)');
} else {
  t.test(
    'two SIGHUPs change 1,000+ rules each under keep-alive load; nothing breaks, -Sn equals the config',
    async (t) => {
      const lab = new LabTopology(`tl${uniqueSuffix()}`);
      const d = new LabDaemon(lab);
      let wrk: ReturnType<typeof spawnInNs> | null = null;
      let out = '';
      try {
        lab.up({ mode: 'tsvs' });
        await d.start();
        const conf = join(d.dir, 'tsvsd.conf');
        const base = readFileSync(conf, 'utf8');
        const hup = (): void => void process.kill(d.pid()!, 'SIGHUP');
        const running = (): string => sorted(d.tsvsadm(['-S', '-n']).stdout.split('\n'));
        /** Writes the config with `lines` as [rules], sends SIGHUP, waits until -Sn equals them. */
        const reload = async (lines: string[], what: string): Promise<void> => {
          writeFileSync(conf, `${base}\n[rules]\n${lines.join('\n')}\n`);
          hup();
          const want = sorted(lines);
          await waitFor(what, () => running() === want, { timeoutMs: 30_000 });
        };
        /** The tutorial service's Conns and InPkts (tsvsadm -L --stats --exact). */
        const stats = (): { conns: number; inPkts: number } => {
          const out = d.tsvsadm(['-L', '-n', '--stats', '--exact', '-t', `${VIP}:80`]).stdout;
          const m = new RegExp(`^TCP\\s+${VIP.replace(/\./g, '\\.')}:80\\s+(\\d+)\\s+(\\d+)`, 'm').exec(out);
          if (m === null) throw new Error(`no stats line for ${VIP}:80 in:\n${out}`);
          return { conns: Number(m[1]), inPkts: Number(m[2]) };
        };

        // 500 services x 3 lines besides the tutorial's.
        const a = [...tutorial(1, 2), ...others(0, 500, 2, 'wrr', () => 1)];
        // 0-99 leave, 100-299 get wlc and new weights, 300-499 stay, 500-649 come; web2's weight 2 -> 3.
        const b = [
          ...tutorial(1, 3),
          ...others(100, 200, 2, 'wlc', (i, j) => 2 + ((i + j) % 5)),
          ...others(300, 200, 2, 'wrr', () => 1),
          ...others(500, 150, 2, 'rr', () => 1),
        ];
        // 100-199 lose a real server, 300-499 get lc and weight 4, 500-599 leave, 650-799 come;
        // web1's weight 1 -> 2.
        const c = [
          ...tutorial(2, 3),
          ...others(100, 100, 1, 'wlc', (i, j) => 2 + ((i + j) % 5)),
          ...others(200, 100, 2, 'wlc', (i, j) => 2 + ((i + j) % 5)),
          ...others(300, 200, 2, 'lc', () => 4),
          ...others(600, 50, 2, 'rr', () => 1),
          ...others(650, 150, 2, 'sh', () => 1),
        ];
        t.ok(changed(a, b) >= 1000, `the first reload changes ${changed(a, b)} rules (services and real servers)`);
        t.ok(changed(b, c) >= 1000, `the second reload changes ${changed(b, c)} rules (services and real servers)`);
        await reload(a, 'the first config');
        const before = stats();

        // Bounded: wrk stops after 60 s at most (timeout after 75 s); SIGINT ends it once the
        // reloads are done and traffic went on after them.
        wrk = spawnInNs(
          lab.client,
          'timeout',
          ['75', 'wrk', '-t1', `-c${CONNS}`, '-d60s', '--timeout', '2s', '--latency', `http://${VIP}/`],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        wrk.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
        wrk.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
        const exited = new Promise<void>((r) => wrk!.once('exit', () => r()));
        const flowing = async (what: string, pkts: number): Promise<void> => {
          const from = stats().inPkts;
          await waitFor(what, () => stats().inPkts >= from + pkts, { timeoutMs: 30_000, intervalMs: 200 });
        };
        await waitFor(`wrk's ${CONNS} connections`, () => stats().conns >= before.conns + CONNS + 1, {
          timeoutMs: 20_000,
        });
        await flowing('traffic before the first reload', 5000);

        await reload(b, 'the first reload under load to show in -Sn');
        await flowing('traffic between the reloads', 5000);
        await reload(c, 'the second reload under load to show in -Sn');
        await flowing('traffic after the second reload', 5000);
        t.equal(wrk.exitCode, null, 'wrk was still running: both reloads happened under load');
        process.kill(wrk.pid!, 'SIGINT');
        await exited;
        t.comment(`wrk (in ${lab.client}):\n${out}`);

        t.match(out, /\d+ requests in [\d.]+s/, 'wrk ran and reported');
        t.notMatch(out, /Socket errors/, 'no connect, read, write or timeout error');
        t.notMatch(out, /Non-2xx/, 'every response was 2xx');
        const after = stats();
        // wrk.lua's wrk.resolve() connects once to test the address before the CONNS connections.
        t.equal(after.conns - before.conns, CONNS + 1, `the service saw wrk's ${CONNS} connections and no reconnect`);
        t.equal(running(), sorted(c), 'tsvsadm -Sn equals the final config');

        const log = readFileSync(d.logFile, 'utf8');
        const times = (msg: string): number[] =>
          [...log.matchAll(new RegExp(`^time=(\\S+) level=info msg="${msg}".*$`, 'gm'))].map((m) => Date.parse(m[1]!));
        const hups = times('SIGHUP: reloading the config');
        const done = times('config reloaded');
        const lines = [...log.matchAll(/^.*msg="config reloaded".*$/gm)].map((m) => m[0]);
        t.equal(lines.length, 3, 'three reloads (the first config, then two under load)');
        const ms = done.slice(-2).map((x, k) => x - hups[hups.length - 2 + k]!);
        const latency = /Latency\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
        t.comment(`reload durations under load (SIGHUP to "config reloaded"): ${ms.join(' ms, ')} ms`);
        t.comment(`max latency seen by wrk (the stall): ${latency?.[3] ?? '?'}`);
        for (const l of lines.slice(-2)) t.comment(l);
        const engine = (await d.request('engine.stats')) as { drops: unknown; io: { kernelDrops?: number }[] | null };
        const ringDrops = (engine.io ?? []).reduce((n, p) => n + (p.kernelDrops ?? 0), 0);
        t.comment(
          `engine drops: ${JSON.stringify(engine.drops)}; frames the rings dropped (kernelDrops): ${ringDrops}`,
        );
      } finally {
        if (wrk !== null && wrk.exitCode === null) {
          await stopChild(wrk);
          t.comment(`wrk (stopped):\n${out}\n${d.tsvsadm(['-L', '-n', '--stats'], true).stdout}`);
        }
        d.stop();
        lab.down();
      }
    },
  );
}
