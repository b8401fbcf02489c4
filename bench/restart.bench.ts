// Benchmark: the stall of a tsvsd restart. In the lab's namespaces (a unique prefix), 200 wrk
// keep-alive connections run the whole time; for each restart a 1 GiB transfer through the VIP
// starts, tsvsd is restarted once it has moved 300 MiB (kill -9, SIGTERM + start, an upgrade to a
// second build, and the same two with `tsvsd --takeover`: the new process starts while the old
// one forwards and has it hand over), and the transfer's longest pause without data is the stall.
// Each restart's tsvsd log lines are printed with their ms after the signal (or the spawn): the
// daemon's own timeline of the outage, which does not include TCP's retransmission backoff. Reports per
// restart: the ms from the signal to the new tsvsd answering, the stall, the connections carried
// over; at the end wrk's errors (any socket error would be a broken connection) and a checksum of
// each transfer. tsvsd runs from dist/ (npm run build first), as installed.
//
//   npm run build && node --import tsx bench/restart.bench.ts [ROUNDS]   (default 3 rounds of the five kinds)
//
// A round's upgrades start the copy in a temporary directory; the other kinds start dist/ again
// (a downgrade: the same layout, so it attaches too).

import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabDaemon, ROOT } from '../lab/lab-daemon.ts';
import { netnsUnavailable, spawnInNs, stopChild, uniqueSuffix } from '../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../lab/topology.ts';
import { waitFor } from '../test/helpers/wait-for.ts';
import { expectedSha, startReceiver, startSender, type Lines } from '../test/lab/fixtures/restart-traffic.ts';

const ROUNDS = Number(process.argv[2] ?? 3);

/** The log lines of one restart as `msg +ms` from t0 (wall clock): where the outage goes. */
function logPhases(text: string, t0: number): string {
  const out: string[] = [];
  for (const m of text.matchAll(/^time=(\S+) level=\S+ msg="([^"]*)"/gm))
    out.push(`${m[2]!.slice(0, 48)} +${Date.parse(m[1]!) - t0}`);
  return out.join('; ');
}
const MIB = 1024;
const CONNS = 200;
const PORT = 5001;

const why = netnsUnavailable();
if (why !== null) throw new Error(why);
const dist = join(ROOT, 'dist', 'src', 'bin', 'tsvsd.js');
if (!existsSync(dist)) throw new Error('no dist/: run npm run build first');

/** The same build copied elsewhere with its own addon: what an upgrade in place looks like. */
function secondBuild(dir: string): string[] {
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'native', 'build', 'Release'), { recursive: true });
  cpSync(
    join(ROOT, 'native', 'build', 'Release', 'tsvs_native.node'),
    join(dir, 'native', 'build', 'Release', 'tsvs_native.node'),
  );
  return [join(dir, 'dist', 'src', 'bin', 'tsvsd.js')];
}

const lab = new LabTopology(`br${uniqueSuffix()}`);
const d = new LabDaemon(lab);
const build = mkdtempSync(join(tmpdir(), 'tsvs-upgrade-'));
const kids: Lines[] = [];
let wrk: ReturnType<typeof spawnInNs> | null = null;
try {
  lab.up({ mode: 'tsvs' });
  await d.start({ bin: [dist] });
  for (const args of [
    ['-A', '-t', `${VIP}:80`, '-s', 'wrr'],
    ['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m', '-w', '1'],
    ['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-m', '-w', '2'],
    ['-A', '-t', `${VIP}:${PORT}`, '-s', 'rr'],
    ['-a', '-t', `${VIP}:${PORT}`, '-r', `${RIP1}:${PORT}`, '-m'],
  ])
    d.tsvsadm(args);
  const upgrade = secondBuild(build);
  const seconds = ROUNDS * 5 * 90 + 60;
  let wrkOut = '';
  wrk = spawnInNs(
    lab.client,
    'timeout',
    [
      String(seconds + 30),
      'wrk',
      '-t2',
      `-c${CONNS}`,
      `-d${seconds}s`,
      '--timeout',
      '30s',
      '--latency',
      `http://${VIP}/`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  wrk.stdout?.setEncoding('utf8').on('data', (s: string) => (wrkOut += s));
  wrk.stderr?.setEncoding('utf8').on('data', (s: string) => (wrkOut += s));
  const wrkExited = new Promise<void>((r) => wrk!.once('exit', () => r()));
  const sha = expectedSha(MIB);
  const rows: string[] = [];
  const phases: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [kind, signal, next] of [
      ['kill -9', 'SIGKILL', [dist]],
      ['SIGTERM + start', 'SIGTERM', [dist]],
      ['upgrade', 'SIGTERM', upgrade],
      ['takeover', 'takeover', [dist]],
      ['takeover upgrade', 'takeover', upgrade],
    ] as const) {
      const sender = startSender(lab.web1, RIP1, PORT, MIB, 0);
      kids.push(sender);
      await waitFor('the sender', () => sender.last('listening'), { timeoutMs: 30_000 });
      const rx = startReceiver(lab.client, VIP, PORT);
      kids.push(rx);
      await waitFor('300 MiB through the VIP', () => rx.progress() >= 300 << 20 || rx.last('{'), {
        timeoutMs: 120_000,
      });
      if (rx.last('{') !== undefined) throw new Error('the transfer ended before the restart: raise MIB');
      const logAt = statSync(d.logFile).size;
      const t0 = Date.now();
      const r = signal === 'takeover' ? await d.takeover(next) : await d.restart(signal, next);
      phases.push(`${round} ${kind}: ${logPhases(readFileSync(d.logFile, 'utf8').slice(logAt), t0)}`);
      const st = (await d.request('engine.stats')) as { stateFile: { restored: Record<string, number> | null } };
      const end = await waitFor<string>('the transfer to end', () => rx.last('{') ?? rx.last('error') ?? '', {
        timeoutMs: 300_000,
      });
      const res = end.startsWith('{') ? (JSON.parse(end) as { bytes: number; sha: string; maxGapMs: number }) : null;
      const row = `| ${round} | ${kind} | ${(r.ms / 1000).toFixed(2)} s | ${res === null ? end : `${(res.maxGapMs / 1000).toFixed(2)} s`} | ${st.stateFile.restored?.['connections'] ?? 0} | ${res !== null && res.bytes === MIB << 20 && res.sha === sha ? 'ok' : 'BAD'} | ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} |`;
      rows.push(row);
      process.stdout.write(`${row}\n`);
    }
  }
  if (wrk.exitCode === null) process.kill(wrk.pid!, 'SIGINT');
  await wrkExited;
  process.stdout.write(
    `\n| round | restart | signal -> answering | transfer stall (longest pause) | connections carried over | 1 GiB sha256 | load |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\ntsvsd's log, ms after the signal (takeover: after the spawn):\n${phases.join('\n')}\n\nwrk -c${CONNS} over all restarts:\n${wrkOut}\n`,
  );
} finally {
  if (wrk !== null && wrk.exitCode === null) await stopChild(wrk);
  for (const k of kids) if (k.child.exitCode === null) await stopChild(k.child);
  d.stop();
  lab.down();
  rmSync(build, { recursive: true, force: true });
}
