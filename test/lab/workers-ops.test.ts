// tsvsd with `[engine] workers 2`: the ops that reach into an engine, answered by both workers
// (src/daemon/workers-ops.ts). The trace merges both workers' events into one stream read from one
// cursor; a capture writes a pair of pcap files per worker, each holding its worker's flows; the
// VRRP state silences and restores the VIP on every worker. Each request is a new connection from
// a new client port, so the fanout program spreads them over both workers.
import t from 'tap';
import { rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology, RIP1, RIP2, VIP } from '../../lab/topology.ts';
import { tryLoadNative, nativeLoadError } from '../../src/io/native-binding.ts';
import { TR_F_NEW, TR_IN, TR_OUT } from '../../src/datapath/trace.ts';
import { httpRequests } from './fixtures/http-requests.ts';

const REQUESTS = 40;
/** Size of a pcap file holding its global header only. */
const PCAP_HEADER_BYTES = 24;

interface Event {
  seq: number;
  timeMs: number;
  kind: number;
  flags: number;
  sport: number;
  worker: number;
}
interface TraceReply {
  head: number;
  enabled: boolean;
  events: Event[];
}

const why = netnsUnavailable();
if (why !== null) t.plan(0, `skipped: ${why}`);
else if (tryLoadNative() === null) t.plan(0, `skipped: workers need the native addon: ${nativeLoadError() ?? ''}`);
else {
  t.test('trace, capture and vrrp-state over two workers', async (t) => {
    const suffix = uniqueSuffix();
    const lab = new LabTopology(`two${suffix}`);
    const d = new LabDaemon(lab);
    const prefix = `/tmp/tsvs-workers-ops-${suffix}`;
    const files: string[] = [];
    try {
      lab.up({ mode: 'tsvs' });
      await d.start({ engineExtra: 'workers 2\n' });
      d.tsvsadm(['-A', '-t', `${VIP}:80`, '-s', 'rr']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP1}:80`, '-m']);
      d.tsvsadm(['-a', '-t', `${VIP}:80`, '-r', `${RIP2}:80`, '-m']);
      const run = (): Promise<string> => httpRequests(lab.client, `http://${VIP}/`, REQUESTS);

      // Trace: one cursor over both workers' rings.
      const start = (await d.request('trace', { enable: true })) as TraceReply;
      t.equal(start.enabled, true, 'both workers trace');
      t.equal(await run(), `done ok=${REQUESTS} bad=0`, 'every request answered while tracing');
      const got = (await d.request('trace', { cursor: start.head, enable: false })) as TraceReply;
      const ev = got.events;
      t.equal(got.enabled, false, 'tracing switched off on both workers');
      t.same(
        ev.map((e) => e.seq),
        ev.map((_, i) => start.head + i),
        'the merged events are numbered from the cursor without gaps',
      );
      t.ok(
        ev.every((e, i) => i === 0 || e.timeMs >= ev[i - 1]!.timeMs),
        'the merged events are in time order',
      );
      const news = ev.filter((e) => e.kind === TR_IN && (e.flags & TR_F_NEW) !== 0);
      t.equal(news.length, REQUESTS, 'one new-connection IN event per request');
      t.ok(
        ev.some((e) => e.kind === TR_OUT),
        'replies traced as OUT events',
      );
      t.same([...new Set(news.map((e) => e.worker))].sort(), [0, 1], 'both workers scheduled connections');
      for (const w of [0, 1]) {
        const ports = new Set(news.filter((e) => e.worker === w).map((e) => e.sport));
        const outs = ev.filter((o) => o.kind === TR_OUT && o.worker === w);
        t.ok(outs.length > 0, `worker ${w} rewrote replies (${outs.length} OUT events)`);
        const inPorts = ev.filter((o) => o.kind === TR_IN && ports.has(o.sport)).map((o) => o.worker);
        t.ok(
          inPorts.every((x) => x === w),
          `every client packet of worker ${w}'s connections reached worker ${w}`,
        );
      }

      // Capture: a pair of files per worker.
      const cap = (await d.request('capture', { prefix, seconds: 2 })) as { files: string[] };
      files.push(...cap.files);
      t.same(
        [...cap.files].sort(),
        [`${prefix}-w0-in.pcap`, `${prefix}-w0-out.pcap`, `${prefix}-w1-in.pcap`, `${prefix}-w1-out.pcap`],
        'each worker writes its own in and out files',
      );
      t.equal(await run(), `done ok=${REQUESTS} bad=0`, 'every request answered while capturing');
      await new Promise((r) => setTimeout(r, 2500));
      for (const f of cap.files) t.ok(statSync(f).size > PCAP_HEADER_BYTES, `${f} holds frames`);

      // VRRP: BACKUP silences the VIP on every worker, MASTER brings it back.
      t.match(d.tsvsadm(['--vrrp-state', 'backup']).stdout, /BACKUP/, 'the state is BACKUP');
      const curl = (): number =>
        spawnSync('ip', ['netns', 'exec', lab.client, 'curl', '-s', '-o', '/dev/null', '-m', '2', `http://${VIP}/`])
          .status ?? -1;
      const silent = [curl(), curl(), curl(), curl()];
      t.ok(
        silent.every((c) => c !== 0),
        `no connection to the VIP while BACKUP (curl exit codes ${silent.join(' ')})`,
      );
      t.match(d.tsvsadm(['--vrrp-state', 'master']).stdout, /MASTER/, 'the state is MASTER again');
      t.equal(await run(), `done ok=${REQUESTS} bad=0`, 'every request answered as MASTER');
      const stats = (await d.request('engine.stats')) as { vrrp: string; workerCrashes: number };
      t.equal(stats.vrrp, 'MASTER', 'engine.stats shows the VRRP state');
      t.equal(stats.workerCrashes, 0, 'no worker died');
    } finally {
      d.stop();
      lab.down();
      for (const f of files) rmSync(f, { force: true });
    }
  });
}
