// The workload of bench/sync.bench.ts: an engine with one NAT service (VIP:80 to one real server)
// on a null backend, the frames of short TCP connections (8 each: in SYN, out SYN-ACK, in ACK, in
// data, out ACK, in FIN, out FIN, in ACK) from many clients, and a run of them through
// Pipeline.processBatch measured in CPU time per connection. No kernel counterpart.

import { Engine } from '../src/datapath/engine.ts';
import type { EngineConfig } from '../src/datapath/engine-config.ts';
import type { RxBatch, PacketIo, PortInfo } from '../src/datapath/packet-io.ts';
import { AF_INET, FWD_MASQ } from '../src/model/dest.ts';
import { IPPROTO_TCP } from '../src/lib/inet.ts';
import { ServiceTable } from '../src/model/service-table.ts';
import { findScheduler } from '../src/sched/registry.ts';
import { SyncMaster } from '../src/sync/sync-master.ts';
import { buildFrame, ipToU32 } from '../test/helpers/frames.ts';

export const FRAMES = 8;
export const BATCH = 256; // 32 connections a batch, each connection's frames in order
const SLOT = 80;
const VIP = '192.168.88.5';
const RIP = '192.168.99.100';

class NullIo implements PacketIo {
  readonly name = 'null';
  readonly ports: readonly PortInfo[] = [
    { name: 'eth0', ifindex: 1, mac: Buffer.from([2, 0, 0, 0, 0, 1]), mtu: 1500 },
    { name: 'eth1', ifindex: 2, mac: Buffer.from([2, 0, 0, 0, 0, 2]), mtu: 1500 },
  ];
  start(): void {}
  queueTx(): boolean {
    return true;
  }
  flush(): void {}
  close(): void {}
}

export function makeEngine(): Engine {
  const cfg: EngineConfig = {
    ports: [
      { name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32('192.168.88.0'), 24]], gateway: 0 },
      { name: 'eth1', owned: [], subnets: [[ipToU32('192.168.99.0'), 24]], gateway: 0 },
    ],
    fullNatAddrs: [],
    connCapacity: 1 << 20,
  };
  const table = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  table.addService({ ...key, schedName: 'wlc', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  table.addDest(key, {
    af: AF_INET,
    addr: ipToU32(RIP),
    port: 80,
    fwd: FWD_MASQ,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
  });
  const e = new Engine(new NullIo(), cfg, table, { now: () => 1_000_000 });
  e.xmit.neigh.learn(ipToU32(RIP), 1, Buffer.from([2, 0, 0, 0, 9, 0]), 0, 1_000_000);
  for (let h = 10; h < 250; h++)
    e.xmit.neigh.learn(ipToU32(`192.168.88.${h}`), 0, Buffer.from([2, 0, 0, 0, 8, h]), 0, 1_000_000);
  return e;
}

/** The frames of `n` connections from client ports starting at `first` (host .10-.249, port 1024+). */
export interface Round {
  buf: Buffer;
  readonly lens: Uint16Array;
  readonly ports: Uint8Array;
}

export function roundFrames(first: number, n: number): Round {
  const buf = Buffer.alloc(n * FRAMES * SLOT);
  const lens = new Uint16Array(n * FRAMES);
  const ports = new Uint8Array(n * FRAMES);
  for (let c = 0; c < n; c++) {
    const k = first + c;
    const client = `192.168.88.${10 + (k % 240)}`;
    const cport = 1024 + Math.floor(k / 240);
    const inb = (flags: string, payload = ''): Buffer =>
      buildFrame({
        dstMac: '02:00:00:00:00:01',
        srcMac: '02:00:00:00:08:01',
        src: client,
        dst: VIP,
        proto: 'tcp',
        sport: cport,
        dport: 80,
        flags,
        payload,
      });
    const out = (flags: string): Buffer =>
      buildFrame({
        dstMac: '02:00:00:00:00:02',
        srcMac: '02:00:00:00:09:00',
        src: RIP,
        dst: client,
        proto: 'tcp',
        sport: 80,
        dport: cport,
        flags,
      });
    const frames = [inb('S'), out('SA'), inb('A'), inb('PA', 'GET /'), out('A'), inb('FA'), out('FA'), inb('A')];
    frames.forEach((f, i) => {
      f.copy(buf, (c * FRAMES + i) * SLOT);
      lens[c * FRAMES + i] = f.length;
      ports[c * FRAMES + i] = i === 1 || i === 4 || i === 6 ? 1 : 0;
    });
  }
  return { buf, lens, ports };
}

export function run(e: Engine, r: Round, n: number, batch: RxBatch): number {
  const t0 = process.cpuUsage();
  const total = n * FRAMES;
  for (let i = 0; i < total; i += BATCH) {
    const m = Math.min(BATCH, total - i);
    batch.buf = r.buf;
    for (let j = 0; j < m; j++) {
      batch.off[j] = (i + j) * SLOT;
      batch.len[j] = r.lens[i + j]!;
      batch.port[j] = r.ports[i + j]!;
    }
    batch.count = m;
    e.pipeline.processBatch(batch, 1_000_000);
  }
  if (e.pipeline.sync instanceof SyncMaster) {
    const s = e.pipeline.sync;
    s.flushNow();
    s.sendQueued(1 << 30);
    e.io.flush();
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / n; // us per connection
}
