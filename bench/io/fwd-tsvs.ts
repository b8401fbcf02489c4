// fwd-tsvs: the tsvs side of the packet I/O bench — the real Engine (parse, connection lookup,
// UDP state, classic NAT, checksums, TTL, route, ARP table, queue) on AfPacketIo, instead of
// fwd.ts's bare MAC rewrite. pktgen sends UDP to the VIP 10.1.0.100; one UDP virtual service
// rewrites it to the real server 10.2.0.3 (the sink's MAC, learnt statically).
//   node --import tsx bench/io/fwd-tsvs.ts <sink-mac> <dport>
// Prints "ready", and on SIGTERM one JSON line of counters. Like tsvsd, it installs the kernel
// ingress filter (src/daemon/kernel-filter.ts) unless FWD_KERNEL_FILTER=off, and with
// FWD_CTL_SOCKET=PATH it serves tsvsd's engine.stats op on a control socket there (ctl-probe.ts).
// FWD_WORKERS=N|auto runs the engine as tsvsd's `[engine] workers N` does (src/daemon/engine-workers.ts:
// N data-path threads in PACKET_FANOUT groups, the main thread only for control); "ready" then
// lists the threads' Linux ids (tids=a,b) for per-thread CPU accounting.

import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AfPacketIo } from '../../src/io/af-packet.ts';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { engineStats } from '../../src/daemon/engine-runner.ts';
import { installKernelFilter } from '../../src/daemon/kernel-filter.ts';
import { EngineWorkers } from '../../src/daemon/engine-workers.ts';
import { waitFor } from '../../test/helpers/wait-for.ts';
import { Logger } from '../../src/lib/logger.ts';
import { ControlServer } from '../../src/wire/socket.ts';
import { AF_INET, FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_UDP } from '../../src/lib/inet.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { ipToU32 } from '../../test/helpers/frames.ts';
import { parseMac } from '../../src/packet/ethernet.ts';

const [sinkMac, dportText] = process.argv.slice(2);
if (!sinkMac || !dportText) {
  process.stderr.write('usage: fwd-tsvs.ts <sink-mac> <dport>\n');
  process.exit(2);
}
const dport = Number(dportText);
const cfg: EngineConfig = {
  ports: [
    { name: 'eth0', owned: [ipToU32('10.1.0.100')], subnets: [[ipToU32('10.1.0.0'), 24]], gateway: 0 },
    { name: 'eth1', owned: [], subnets: [[ipToU32('10.2.0.0'), 24]], gateway: 0 },
  ],
  fullNatAddrs: [],
  connCapacity: 1 << 16,
};
const table = new ServiceTable({ findScheduler });
const key = { af: AF_INET, protocol: IPPROTO_UDP, addr: ipToU32('10.1.0.100'), port: dport, fwmark: 0 };
table.addService({ ...key, schedName: 'rr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
table.addDest(key, {
  af: AF_INET,
  addr: ipToU32('10.2.0.3'),
  port: dport,
  fwd: FWD_MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
});
// FWD_OPTS: AfPacketOptions as JSON (e.g. '{"spinUs":0}'), for A/B runs of the I/O settings.
const opts = process.env['FWD_OPTS'] ? (JSON.parse(process.env['FWD_OPTS']) as Record<string, number>) : {};
const workersText = process.env['FWD_WORKERS'];
const log = new Logger({ level: 'warn' });
let stats: () => Record<string, unknown>;
let learnSink: () => void;
let stopEngine: () => Promise<void>;
let ioStats: () => unknown = () => null;
let tids: number[] = [];
if (workersText === undefined) {
  const io = AfPacketIo.open(['eth0', 'eth1'], opts);
  const engine = new Engine(io, cfg, table);
  engine.start();
  stats = () => engineStats(engine);
  ioStats = () => io.stats();
  learnSink = () => engine.xmit.neigh.learn(ipToU32('10.2.0.3'), 1, parseMac(sinkMac), 0, Date.now());
  stopEngine = async () => engine.stop();
} else {
  const count = workersText === 'auto' ? availableParallelism() : Number(workersText);
  const workers = new EngineWorkers(
    { table },
    {
      ...cfg,
      workers: count,
      ...(opts['spinUs'] !== undefined ? { busyPollUs: opts['spinUs'] } : {}),
      ...(opts['pollIntervalUs'] !== undefined ? { pollIntervalUs: opts['pollIntervalUs'] } : {}),
    },
    log,
    count,
  );
  await workers.start();
  stats = () => workers.stats();
  learnSink = () => workers.learnNeighbour(ipToU32('10.2.0.3'), 1, Uint8Array.from(parseMac(sinkMac)));
  stopEngine = () => workers.stop();
  // The workers report once a second; their thread ids come with the first reports.
  const rows = await waitFor(
    'every worker to report',
    async () => {
      const w = workers.stats()['workers'] as { tid: number }[];
      return w.length === count ? w : null;
    },
    { timeoutMs: 10_000 },
  );
  tids = rows!.map((w) => w.tid);
}
const filter = process.env['FWD_KERNEL_FILTER'] === 'off' ? null : await installKernelFilter(['eth0', 'eth1'], log);
learnSink();
// Keep the static entry fresh (the bench does not answer ARP for 10.2.0.3).
setInterval(learnSink, 5000).unref();
const ctlPath = process.env['FWD_CTL_SOCKET'];
const ctl = ctlPath
  ? new ControlServer({
      path: ctlPath,
      handle: async (op) => {
        if (op !== 'engine.stats') throw new Error(`unknown op ${op}`);
        return stats();
      },
    })
  : null;
await ctl?.listen();
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
process.stdout.write(tids.length > 0 ? `ready tids=${tids.join(',')}\n` : 'ready\n');

process.on('SIGTERM', () => {
  const s = stats();
  delete s['neighbours'];
  const io = ioStats();
  void stopEngine().then(() => {
    filter?.remove();
    void ctl?.close();
    eld.disable();
    const loopDelayMs = { p99: +(eld.percentile(99) / 1e6).toFixed(1), max: +(eld.max / 1e6).toFixed(1) };
    process.stdout.write(JSON.stringify({ engine: s, loopDelayMs, stats: io }) + '\n', () => process.exit(0));
  });
});
