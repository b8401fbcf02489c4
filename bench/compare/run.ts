// bench/compare: tsvs next to kernel nftables DNAT, HAProxy (mode tcp) and nginx stream on one
// namespace lab, in one run: wrk keep-alive and Connection: close, one iperf3 stream, a curl
// distribution check, CPU; printed side by side with ratios vs nft and the targets in results.ts
// (tsvs / nft floors, ahead of the proxies).
//
//   node --import tsx bench/compare/run.ts [--peers nft,haproxy,nginx-stream,tsvs] [--reps 3] ...
//
// The lab is built once (lab/topology.ts, mode 'tsvs'); kernel and proxy peers put the VIP on
// lvs1's kernel with ip_forward=1 while they run, tsvs takes it off again. Everything started here
// is stopped by PID and the namespaces are deleted on every exit path.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LabTopology, RIP1, RIP2 } from '../../lab/topology.ts';
import { measure, measureDist, raw, type MeasureContext } from './measure.ts';
import { parseOptions, UsageError, USAGE, type Options } from './options.ts';
import { killPid, type Peer, type PeerContext } from './peers.ts';
import { header, makePeer, need, schedule } from './plan.ts';
import { reportMarkdown } from './report.ts';
import { emptyResult, TESTS, type PeerResult } from './results.ts';
import { nsMust, nsRun, sleepMs, timeWaitCount } from './sys.ts';
import { REPO_ROOT } from './tsvs-peer.ts';

let aborted = false;

function say(msg: string): void {
  process.stderr.write(`[compare] ${msg}\n`);
}

function drain(lab: LabTopology): void {
  const ns = [lab.lvs, lab.web1, lab.web2];
  let tw = timeWaitCount(ns);
  if (tw === 0) return;
  say(`waiting (<= 65 s) for ${tw} TIME_WAIT sockets in lvs1/web1/web2 to expire`);
  const deadline = Date.now() + 65_000;
  while (tw > 0 && Date.now() < deadline && !aborted) {
    sleepMs(1000);
    tw = timeWaitCount(ns);
  }
}

/**
 * A few requests right after a peer starts, outside any measurement: they resolve lvs1's next
 * hops (a fresh tsvsd queues only a few frames per unresolved neighbour and drops the rest, so
 * wrk's 50 simultaneous SYNs would otherwise lose some to a 1 s SYN retransmit).
 */
function warmUp(lab: LabTopology, peer: Peer): void {
  nsRun(lab.client, 'bash', ['-c', `for i in 1 2 3 4; do curl -s -o /dev/null -m 2 http://${peer.target}/; done`], 15);
}

async function main(): Promise<number> {
  let o: Options;
  try {
    const p = parseOptions(process.argv.slice(2));
    if (p === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    o = p;
    if (process.getuid?.() !== 0) throw new UsageError('run as root (network namespaces)');
    need([
      'ip',
      'wrk',
      'iperf3',
      'curl',
      'nginx',
      ...(o.peers.includes('nft') ? ['nft', 'conntrack'] : []),
      ...(o.peers.includes('haproxy') ? ['haproxy'] : []),
    ]);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`compare: ${e.message}\n${USAGE}`);
    return 2;
  }
  process.chdir(REPO_ROOT);
  mkdirSync(o.out, { recursive: true });
  const lab = new LabTopology(o.prefix);
  const pctx: PeerContext = { lab, dir: join(o.out, 'peers'), lbWorkers: o.lbWorkers };
  const mctx: MeasureContext = {
    lab,
    load: { durationS: o.durationS, conns: o.conns, iperfS: o.iperfS, curls: o.curls },
    idleMax: o.idleMax,
    waitIdleS: o.waitIdleS,
    rawLog: join(o.out, 'raw.log'),
  };
  const head = header(o);
  const results = new Map(o.peers.map((p) => [p, emptyResult(p)]));
  const peers = new Map(o.peers.map((p) => [p, makePeer(p, pctx, o)]));
  const iperfPids: number[] = [];
  let running: Peer | null = null;
  const onSignal = (s: string): void => {
    say(`${s}: stopping after the current step`);
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    say(`building lab ${o.prefix} (offloads ${o.offloads}); raw logs in ${o.out}`);
    lab.up({ mode: 'tsvs', offloads: o.offloads });
    mkdirSync(pctx.dir, { recursive: true });
    for (const [ns, rip, name] of [
      [lab.web1, RIP1, 'web1'],
      [lab.web2, RIP2, 'web2'],
    ] as const) {
      const pidFile = join(pctx.dir, `iperf3-${name}.pid`);
      nsMust(ns, 'iperf3', [
        '-s',
        '-D',
        '-B',
        rip,
        '-p',
        '5201',
        '-I',
        pidFile,
        '--logfile',
        join(pctx.dir, `iperf3-${name}.log`),
      ]);
      sleepMs(300);
      iperfPids.push(Number(readFileSync(pidFile, 'utf8').trim()));
    }
    let prev: string | null = null;
    for (const [round, name] of schedule(o)) {
      if (aborted) break;
      const peer = peers.get(name)!;
      const res = results.get(name)!;
      if (running !== null && (running !== peer || peer.problem() !== null)) {
        running.stop();
        running = null;
      }
      if (running === null) {
        const switching = prev !== null && prev !== name;
        if (o.drain === 'always' ? switching : o.drain === 'auto' && switching && (prev === 'none' || name === 'none'))
          drain(lab);
        say(`round ${round}: starting ${name}`);
        try {
          peer.start();
          running = peer;
          warmUp(peer.lab ?? lab, peer);
        } catch (e) {
          const reason = `${name} did not start: ${(e as Error).message}`;
          say(reason);
          raw(mctx, `${name} start failed`, reason);
          for (const t of TESTS) if (o.tests.has(t)) res.failures[t].push({ round, reason });
          peer.stop();
          prev = name;
          continue;
        }
      }
      prev = name;
      for (const t of TESTS) {
        if (!o.tests.has(t) || aborted) continue;
        const s = await measure(peer.lab === undefined ? mctx : { ...mctx, lab: peer.lab }, peer, t, round);
        if ('value' in s) {
          res.samples[t].push(s);
          say(
            `round ${round} ${name} ${t}: ${s.value.toFixed(t === 'iperf' ? 2 : 0)}${s.p99Ms !== null ? ` (p99 ${s.p99Ms.toFixed(2)} ms)` : ''}, lvs1 procs ${s.lbPct.toFixed(0)}%, box ${s.busyPct.toFixed(0)}%`,
          );
        } else {
          res.failures[t].push(s);
          say(`round ${round} ${name} ${t}: FAILED: ${s.reason}`);
        }
        sleepMs(1000);
        await new Promise((resolve) => setImmediate(resolve)); // let a pending SIGINT/SIGTERM in
      }
      if (o.tests.has('dist') && res.dist === null && !aborted) {
        const d = measureDist(peer.lab === undefined ? mctx : { ...mctx, lab: peer.lab }, peer);
        if (typeof d === 'string') res.distError = `FAILED: ${d}`;
        else {
          res.dist = d;
          res.distError = null;
        }
      }
    }
  } finally {
    running?.stop();
    for (const pid of iperfPids) killPid(pid);
    lab.down();
    say('lab down');
  }
  const all: PeerResult[] = o.peers.map((p) => results.get(p)!);
  const md = reportMarkdown(all, head, o, aborted, availableParallelism());
  writeFileSync(join(o.out, 'report.md'), md);
  writeFileSync(
    join(o.out, 'results.json'),
    JSON.stringify({ header: head, options: { ...o, tests: [...o.tests] }, results: all }, null, 1),
  );
  process.stdout.write(md);
  say(`report: ${join(o.out, 'report.md')}, raw tool output: ${mctx.rawLog}`);
  return aborted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`compare: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
