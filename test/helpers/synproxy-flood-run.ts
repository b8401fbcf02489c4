// The body of the SYN-flood tests of the SYN proxy's automatic mode, over IPv4 (hping3,
// test/lab/synproxy-flood.test.ts) and IPv6 (thcsyn6, synproxy-flood6.test.ts): on a lab whose
// service is set up in its default mode, the proxy stays off without a flood, engages by itself
// once the flood's embryonic entries pass the threshold, every curl during the flood completes, a
// keep-alive connection opened before the flood answers during and after it on the same
// connection, and the proxy disengages once the flood is over.
import type { ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import type { LabDaemon } from '../../lab/lab-daemon.ts';
import { isAlive, spawnInNs } from '../../lab/netns.ts';
import type { LabTopology } from '../../lab/topology.ts';
import { keepAliveScript, lines, type Reply } from './flood-lab.ts';
import { waitFor } from './wait-for.ts';

const MAX_CURLS = 60;

type Stats = Record<string, Record<string, number>>;

export interface FloodRun {
  /** One curl to the service from the client: true when answered. */
  curl(): boolean;
  /** The service's address, for the keep-alive connection. */
  host: string;
  /** Starts the bounded flood (the tool under `timeout`). */
  flood(): ChildProcess;
  /** The tool's name, for messages. */
  tool: string;
}

export async function synproxyFloodRun(t: Test, lab: LabTopology, d: LabDaemon, run: FloodRun): Promise<void> {
  t.notMatch(d.tsvsadm(['-Ln']).stdout, /synproxy/, 'auto shows nothing in -Ln');
  t.ok(run.curl(), 'the service answers before the flood');
  const stats = async (): Promise<Stats> => (await d.request('engine.stats')) as Stats;
  t.equal((await stats())['synproxy']!['cookiesSent'], 0, 'no flood, no cookie: IPVS flow');

  const keep = spawnInNs(lab.client, process.execPath, ['-e', keepAliveScript(run.host)], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  try {
    const keepOut = lines(keep);
    await waitFor('the keep-alive connection to open', () => keepOut.length >= 1, { timeoutMs: 10_000 });
    const first = JSON.parse(keepOut[0]!) as Reply;
    t.equal(first.status, 200, 'keep-alive connection: first request answered');

    const flood = run.flood();
    await waitFor('the proxy to engage', async () => (await stats())['synproxy']!['engagedServices']! > 0, {
      timeoutMs: 5000,
    });
    let ok = 0;
    let tried = 0;
    while (flood.pid !== undefined && isAlive(flood.pid) && tried < MAX_CURLS) {
      tried++;
      if (run.curl()) ok++;
      if (tried === 3) keep.stdin?.write('again\n');
    }
    await waitFor('the keep-alive answer during the flood', () => keepOut.length >= 2, { timeoutMs: 10_000 });
    await waitFor(`${run.tool} to end`, () => flood.pid === undefined || !isAlive(flood.pid), { timeoutMs: 15_000 });
    const after = await stats();
    const sp = after['synproxy']!;
    t.comment(
      `during the flood: ${ok}/${tried} curls answered; synproxy ${JSON.stringify(sp)}; drops ${JSON.stringify(after['drops'])}`,
    );
    t.ok(tried >= 3, `curls ran during the flood (${tried})`);
    t.equal(ok, tried, 'every curl during the flood completed');
    t.ok(sp['cookiesSent']! > 1000, 'the flood was answered with cookies');
    t.ok(sp['cookiesValidated']! >= ok, 'the curls proved their cookies');
    const during = JSON.parse(keepOut[1]!) as Reply;
    t.equal(during.status, 200, 'the keep-alive connection answered during the flood');
    t.equal(during.port, first.port, 'on the same connection');

    t.ok(run.curl(), 'right after the flood the service answers');
    await waitFor('the proxy to disengage', async () => (await stats())['synproxy']!['engagedServices'] === 0, {
      timeoutMs: 10_000,
    });
    keep.stdin?.write('again\n');
    await waitFor('the keep-alive connection to answer after the flood', () => keepOut.length >= 3, {
      timeoutMs: 10_000,
    });
    t.equal((JSON.parse(keepOut[2]!) as Reply).port, first.port, 'the keep-alive connection lives on after it');
  } finally {
    if (keep.pid !== undefined) keep.kill('SIGTERM');
  }
}
