// Benchmark: the whole established-flow path of the director, Pipeline.processBatch over a batch
// of 256 frames: parse + connection lookup + TCP state + NAT rewrite (incremental checksums) +
// TTL + route + ARP lookup + queueTx, on 60-byte TCP ACKs spread over 1,024 established
// connections, both directions (pipeline4-batch.ts); then the same over IPv6 (NAT66, 74-byte ACKs,
// pipeline6-batch.ts) on the same dual-stack engine. The I/O is a null backend (queueTx counts),
// so this is the per-packet CPU cost of the JS data plane alone; native I/O costs come on top
// (bench/io).
//
//   node --import tsx bench/pipeline.bench.ts
//
// Each batch starts from a pristine copy of its frames (the rewrite is in place); the copy is
// measured on its own and reported, so it can be subtracted.
//
//   BENCH_STATE_FILE=/dev/shm/tsvs-bench.conn-state node --import tsx bench/pipeline.bench.ts
//
// puts the connection table's columns in that mapped file, as tsvsd's state file does
// (src/daemon/state-file.ts), and the IPv6 table's in <file>6, instead of on the heap.
//
//   BENCH_FWD=fullnat node --import tsx bench/pipeline.bench.ts
//
// makes the real servers of both families full NAT (local addresses 192.168.99.6 and
// 2001:db8:99::6) instead of NAT: the like-for-like comparison of FNAT66 with IPv4 full NAT.
// BENCH_FWD4 / BENCH_FWD6 (masq|fullnat) set one family's mode (default: BENCH_FWD, else masq).

import b from 'benny';
import { Engine } from '../src/datapath/engine.ts';
import type { EngineConfig } from '../src/datapath/engine-config.ts';
import type { RxBatch, PacketIo, PortInfo } from '../src/datapath/packet-io.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../src/model/dest.ts';
import { parseInet6 } from '../src/lib/inet6.ts';
import { ServiceTable } from '../src/model/service-table.ts';
import { ipToU32 } from '../test/helpers/frames.ts';
import { findScheduler } from '../src/sched/registry.ts';
import { addService4, makeBatch4 } from './pipeline4-batch.ts';
import { addService6, makeBatch6 } from './pipeline6-batch.ts';

const BATCH = 256;
const CONNS = 1024;

class NullIo implements PacketIo {
  readonly name = 'null';
  readonly ports: readonly PortInfo[] = [
    { name: 'eth0', ifindex: 1, mac: Buffer.from([2, 0, 0, 0, 0, 1]), mtu: 1500 },
    { name: 'eth1', ifindex: 2, mac: Buffer.from([2, 0, 0, 0, 0, 2]), mtu: 1500 },
  ];
  sent = 0;
  start(): void {}
  queueTx(): boolean {
    this.sent++;
    return true;
  }
  flush(): void {}
  close(): void {}
}

const io = new NullIo();
const fwdBoth = process.env['BENCH_FWD'] ?? 'masq';
const fullNat4 = (process.env['BENCH_FWD4'] ?? fwdBoth) === 'fullnat';
const fullNat6 = (process.env['BENCH_FWD6'] ?? fwdBoth) === 'fullnat';
const LIP = '192.168.99.6';
const cfg: EngineConfig = {
  ports: [
    {
      name: 'eth0',
      owned: [ipToU32('192.168.88.5')],
      subnets: [[ipToU32('192.168.88.0'), 24]],
      gateway: 0,
      owned6: [parseInet6('2001:db8:88::5')!],
      subnets6: [[parseInet6('2001:db8:88::')!, 64]],
    },
    {
      name: 'eth1',
      owned: fullNat4 ? [ipToU32(LIP)] : [],
      subnets: [[ipToU32('192.168.99.0'), 24]],
      gateway: 0,
      subnets6: [[parseInet6('2001:db8:99::5')!, 64]],
    },
  ],
  fullNatAddrs: fullNat4 ? [ipToU32(LIP)] : [],
  ...(fullNat6 ? { fullNatAddrs6: [parseInet6('2001:db8:99::6')!] } : {}),
  connCapacity: 1 << 16,
};
const table = new ServiceTable({ findScheduler });
addService4(table, fullNat4 ? FWD_FULLNAT : FWD_MASQ);
addService6(table, fullNat6 ? FWD_FULLNAT : FWD_MASQ);
let now = 1_000_000;
const stateFile = process.env['BENCH_STATE_FILE'];
// Imported only when asked, so this file also runs in checkouts older than the state file.
const memory =
  stateFile === undefined || stateFile === ''
    ? undefined
    : (await import('../src/io/native-binding.ts'))
        .tryLoadNative()!
        .mapState(stateFile, (await import('../src/conn/conn-layout.ts')).connLayout(cfg.connCapacity).totalBytes)
        .buffer;
// The IPv6 table's file beside it (<state-file>6, laid out by conn-layout6.ts), mapped alike.
const memory6 =
  memory === undefined
    ? undefined
    : (await import('../src/io/native-binding.ts'))
        .tryLoadNative()!
        .mapState(
          `${stateFile!}6`,
          (await import('../src/conn/conn-layout.ts')).connLayout(
            cfg.connCapacity,
            (await import('../src/conn/conn-layout6.ts')).CONN6_COLUMNS,
          ).totalBytes,
        ).buffer;
const engine = new Engine(io, cfg, table, {
  now: () => now,
  ...(memory !== undefined ? { conn: { memory } } : {}),
  ...(memory6 !== undefined ? { memory6 } : {}),
});
process.stdout.write(`connection table columns: ${memory !== undefined ? `mapped ${stateFile!}(6)` : 'heap'}\n`);
engine.start();
const mac = (i: number) => Buffer.from([2, 0, 0, 0, 9, i]);

const { batch, pristine } = makeBatch4(engine, BATCH, CONNS, now, mac, fullNat4);
// Move every connection to ESTABLISHED first (client ACK, server ACK).
for (let k = 0; k < 8; k++) {
  pristine.copy(batch.buf);
  engine.pipeline.processBatch(batch, now);
}

// BENCH_CPU_BATCHES=N: instead of benny's wall-clock ops/s, the process's CPU time (user + system)
// over N batches, which a box shared with other busy processes disturbs far less; BENCH_ROUNDS=R
// (default 3) rounds interleave IPv4 and IPv6, each figure is the median of its rounds, and the
// ratio IPv6 / IPv4 is of the medians.
const b6 = makeBatch6(engine, BATCH, CONNS, now, mac);
for (let k = 0; k < 8; k++) {
  b6.pristine.copy(b6.batch.buf);
  engine.pipeline.processBatch(b6.batch, now);
}
const dropsBefore = engine.drops.total();

/** CPU ns per packet over n batches of one family (the pristine copy included). */
function cpuNs(one: { batch: RxBatch; pristine: Buffer }, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    one.pristine.copy(one.batch.buf);
    engine.pipeline.processBatch(one.batch, (now += 0.001));
  }
  const c1 = process.cpuUsage(c0);
  return ((c1.user + c1.system) * 1000) / (n * BATCH);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuBatches = Number(process.env['BENCH_CPU_BATCHES'] ?? 0);
if (cpuBatches > 0) {
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  const b4 = { batch, pristine };
  cpuNs(b4, cpuBatches / 10);
  cpuNs(b6, cpuBatches / 10);
  const v4: number[] = [];
  const v6: number[] = [];
  for (let r = 0; r < rounds; r++) {
    v4.push(cpuNs(b4, cpuBatches));
    v6.push(cpuNs(b6, cpuBatches));
  }
  const m4 = median(v4);
  const m6 = median(v6);
  process.stdout.write(
    `cpu per packet (copy included; ${cpuBatches} batches x ${rounds} rounds, interleaved; ` +
      `IPv4 ${fullNat4 ? 'full NAT' : 'NAT'}, IPv6 ${fullNat6 ? 'FNAT66' : 'NAT66'}):\n` +
      `  IPv4 ${v4.map((x) => x.toFixed(1)).join(' ')} -> median ${m4.toFixed(1)} ns\n` +
      `  IPv6 ${v6.map((x) => x.toFixed(1)).join(' ')} -> median ${m6.toFixed(1)} ns\n` +
      `  IPv6 / IPv4 = ${(m6 / m4).toFixed(3)}; drops during the run: ${engine.drops.total() - dropsBefore}\n`,
  );
  process.exit(0);
}

void b.suite(
  `director pipeline, established flows, ${BATCH}-frame batches (ops = batches)`,
  b.add('copy a pristine batch only (overhead to subtract)', () => {
    pristine.copy(batch.buf);
  }),
  b.add('copy + processBatch (parse, lookup, state, NAT, TTL, route, ARP, queue)', () => {
    pristine.copy(batch.buf);
    now += 0.001;
    engine.pipeline.processBatch(batch, now);
  }),
  b.add('IPv6: copy a pristine batch only', () => {
    b6.pristine.copy(b6.batch.buf);
  }),
  b.add(`IPv6: copy + processBatch (${fullNat6 ? 'FNAT66' : 'NAT66'})`, () => {
    b6.pristine.copy(b6.batch.buf);
    now += 0.001;
    engine.pipeline.processBatch(b6.batch, now);
  }),
  b.cycle(),
  b.complete((summary) => {
    const [copy, full, copy6, full6] = summary.results;
    if (!copy || !full || !copy6 || !full6) return;
    const perPkt = (c: { ops: number }, f: { ops: number }): number => 1e9 / f.ops / BATCH - 1e9 / c.ops / BATCH;
    const ns4 = perPkt(copy, full);
    const ns6 = perPkt(copy6, full6);
    process.stdout.write(
      `\nper packet, copy subtracted: IPv4 ${ns4.toFixed(1)} ns (${(1000 / ns4).toFixed(2)} Mpps per core), ` +
        `IPv6 ${ns6.toFixed(1)} ns (${(1000 / ns6).toFixed(2)} Mpps per core), IPv6 / IPv4 = ${(ns6 / ns4).toFixed(3)}; ` +
        `drops during the run: ${engine.drops.total() - dropsBefore}\n`,
    );
  }),
);
