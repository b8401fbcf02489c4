// Scheduler bench: picks per second and ns per pick for every scheduler at n = 2, 100 and 10,000
// real servers, in three modes:
//   pick        schedule() only;
//   open        schedule() + the new connection's accounting: picked.activeConns++, loadChanged;
//   open+close  as open, and the server picked 64 picks earlier loses that connection
//               (activeConns--, loadChanged), so loads stay steady (two loadChanged per pick).
// Each benny op is BATCH picks; ns/pick = 1e9 / (ops/s * BATCH).
// First, an allocation check on a fresh heap: garbage collections observed, and used-heap growth,
// during 2,000,000 open+close picks at n = 1,000 after a warm-up (0 and ~0 mean schedule() and
// loadChanged() allocate nothing).
// Each scheduler runs in a child process of its own: the bench closures share one feedback
// vector, so in one process every scheduler after the first would be measured through
// megamorphic call sites. The parent runs PASSES (default 2, env SCHED_BENCH_PASSES) passes over
// all schedulers and keeps the best figure of each cell: on a shared machine the slower runs
// measure the neighbours.
// Run: node --import tsx bench/sched.bench.ts [scheduler-name ...]

import b from 'benny';
import { getHeapStatistics } from 'node:v8';
import { execFileSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AF_INET, Dest } from '../src/model/dest.ts';
import { Service } from '../src/model/service.ts';
import { IPPROTO_TCP } from '../src/lib/inet.ts';
import { SchedInput, type Scheduler } from '../src/model/scheduler.ts';
import { findScheduler, schedulerNames } from '../src/sched/registry.ts';
import { MH_TAB_SIZE } from '../src/sched/mh.ts';

const BATCH = 1000;
const SIZES = [2, 100, 10_000];
const CASE = { minSamples: 5, maxTime: 0.4 };
const VIP = 0xc0a85805; // 192.168.88.5
const RING = 64;

/** Client and destination addresses cycled per pick (hashing schedulers look at them). */
const ADDRS = new Uint32Array(4096);
for (let i = 0; i < ADDRS.length; i++) ADDRS[i] = (0xac100000 + Math.imul(i, 40503)) >>> 0;
/** lblc/lblcr: 1,000 distinct destination addresses, so most picks hit the table. */
const DADDRS = new Uint32Array(4096);
for (let i = 0; i < DADDRS.length; i++) DADDRS[i] = (0x0a400000 + (i % 1000)) >>> 0;

function build(name: string, n: number): { svc: Service; sched: Scheduler } {
  const f = findScheduler(name)!;
  const sched = f.create(0);
  const svc = new Service(AF_INET, IPPROTO_TCP, VIP, 80, 0, name, sched);
  const first = name === 'mh' ? Math.min(n, MH_TAB_SIZE) : n;
  // Weights 1..5; -a puts each new server at the list head.
  for (let i = 0; i < first; i++) {
    const d = new Dest(AF_INET, (0xc0a86400 + i) >>> 0, 8080);
    d.weight = 1 + (i % 5);
    svc.dests.unshift(d);
  }
  sched.init(svc);
  // mh refuses more than MH_TAB_SIZE servers at init; further -a keep the table (as the kernel).
  for (let i = first; i < n; i++) {
    const d = new Dest(AF_INET, (0xc0a86400 + i) >>> 0, 8080);
    d.weight = 1 + (i % 5);
    d.renewSeq();
    svc.dests.unshift(d);
    sched.addDest(svc, d);
  }
  return { svc, sched };
}

function pickOnly(name: string, n: number): () => () => number {
  return () => {
    const { svc, sched } = build(name, n);
    const inp = new SchedInput();
    inp.protocol = IPPROTO_TCP;
    inp.vaddr = VIP;
    inp.vport = 80;
    const daddrs = name === 'lblc' || name === 'lblcr' ? DADDRS : ADDRS;
    let k = 0;
    return () => {
      let hits = 0;
      for (let i = 0; i < BATCH; i++) {
        const j = k++ & 4095;
        inp.caddr = ADDRS[j]!;
        inp.cport = 1024 + (j & 1023);
        inp.daddr = daddrs[j]!;
        if (sched.schedule(svc, inp) !== null) hits++;
      }
      return hits;
    };
  };
}

function withAccounting(name: string, n: number, close: boolean): () => () => number {
  return () => {
    const { svc, sched } = build(name, n);
    const inp = new SchedInput();
    inp.protocol = IPPROTO_TCP;
    inp.vaddr = VIP;
    inp.vport = 80;
    const daddrs = name === 'lblc' || name === 'lblcr' ? DADDRS : ADDRS;
    const ring: (Dest | null)[] = new Array<Dest | null>(RING).fill(null);
    let k = 0;
    return () => {
      let hits = 0;
      for (let i = 0; i < BATCH; i++) {
        const j = k++ & 4095;
        inp.caddr = ADDRS[j]!;
        inp.cport = 1024 + (j & 1023);
        inp.daddr = daddrs[j]!;
        const d = sched.schedule(svc, inp);
        if (d !== null) {
          hits++;
          d.activeConns++;
          sched.loadChanged(svc, d);
        }
        if (close) {
          const r = k & (RING - 1);
          const old = ring[r]!;
          if (old !== null) {
            old.activeConns--;
            sched.loadChanged(svc, old);
          }
          ring[r] = d;
        }
      }
      return hits;
    };
  };
}

const wanted = process.argv.slice(2);

if (wanted.length === 0) {
  // Parent: children per scheduler and pass, then the combined table of best figures.
  const passes = Number(process.env['SCHED_BENCH_PASSES'] ?? 2);
  const best = new Map<string, number[]>();
  const allocs = new Map<string, string>();
  for (let pass = 0; pass < passes; pass++) {
    for (const name of schedulerNames()) {
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      for (const line of out.split('\n')) {
        const cells = line.split('|').map((c) => c.trim());
        if (cells[1] === name && cells.length >= 7) {
          const key = `${name}|${cells[2]}`;
          const nums = cells.slice(3, 7).map(Number);
          const prev = best.get(key);
          best.set(
            key,
            prev === undefined ? nums : nums.map((v, i) => (i < 3 ? Math.min(v, prev[i]!) : Math.max(v, prev[i]!))),
          );
        }
        const m = /^alloc: (.*)$/.exec(line);
        if (m !== null && pass === 0) allocs.set(name, m[1]!);
      }
      process.stderr.write(`pass ${pass + 1}: ${name} done\n`);
    }
  }
  console.log('| scheduler | n | ns/pick: pick | open | open+close | M picks/s (pick) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [key, v] of best) {
    const [name, n] = key.split('|');
    console.log(
      `| ${name} | ${n} | ${v[0]!.toFixed(1)} | ${v[1]!.toFixed(1)} | ${v[2]!.toFixed(1)} | ${v[3]!.toFixed(1)} |`,
    );
  }
  console.log('\nAllocation check, 2,000,000 picks + open/close accounting at n = 1,000:');
  for (const [name, a] of allocs) console.log(`  ${name}: ${a}`);
  process.exit(0);
}

const names = wanted;
const rows: { name: string; n: number; mode: string; nsPerPick: number; picksPerSec: number }[] = [];

// Allocation check first, on a fresh heap.
for (const name of names) {
  const run = withAccounting(name, 1000, true)();
  for (let i = 0; i < 300; i++) run(); // warm up: JIT, lblc/lblcr tables
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const before = getHeapStatistics().used_heap_size;
  for (let i = 0; i < 2000; i++) run();
  const grown = getHeapStatistics().used_heap_size - before;
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  console.log(
    `alloc: ${gcs} GC events, used heap ${grown >= 0 ? '+' : ''}${grown} bytes (${(grown / 2e6).toFixed(3)} bytes/pick)`,
  );
}

for (const name of names) {
  const cases = [];
  for (const n of SIZES) {
    cases.push(b.add(`${name} n=${n} pick`, pickOnly(name, n), CASE));
    cases.push(b.add(`${name} n=${n} open`, withAccounting(name, n, false), CASE));
    cases.push(b.add(`${name} n=${n} open+close`, withAccounting(name, n, true), CASE));
  }
  await b.suite(
    `sched ${name}`,
    ...cases,
    b.cycle((r) => {
      const m = /^(\S+) n=(\d+) (\S+)$/.exec(r.name)!;
      const picksPerSec = r.ops * BATCH;
      rows.push({ name: m[1]!, n: Number(m[2]), mode: m[3]!, nsPerPick: 1e9 / picksPerSec, picksPerSec });
      return `${r.name}: ${(1e9 / picksPerSec).toFixed(1)} ns/pick (${(picksPerSec / 1e6).toFixed(2)} M picks/s, ±${r.margin.toFixed(1)}%)`;
    }),
  );
}

console.log('\n| scheduler | n | ns/pick: pick | open | open+close | M picks/s (pick) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const name of names) {
  for (const n of SIZES) {
    const get = (mode: string): { nsPerPick: number; picksPerSec: number } | undefined =>
      rows.find((r) => r.name === name && r.n === n && r.mode === mode);
    const p = get('pick');
    const o = get('open');
    const c = get('open+close');
    if (p === undefined || o === undefined || c === undefined) continue;
    const f = (x: number): string => x.toFixed(1);
    console.log(
      `| ${name} | ${n} | ${f(p.nsPerPick)} | ${f(o.nsPerPick)} | ${f(c.nsPerPick)} | ${(p.picksPerSec / 1e6).toFixed(1)} |`,
    );
  }
}
