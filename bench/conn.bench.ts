// Connection table bench: lookups (hit, miss, both directions) at 1M connections, the per-packet
// state update, create+expire cost, bytes per connection, and lru-cache side by side.
// Run: node --expose-gc --import tsx bench/conn.bench.ts [connections]

import b from 'benny';
import { LRUCache } from 'lru-cache';
import { ConnManager } from '../src/conn/conn-manager.ts';
import { AF_INET, Dest, FWD_MASQ } from '../src/model/dest.ts';
import { Service } from '../src/model/service.ts';
import { IPPROTO_TCP } from '../src/lib/inet.ts';
import { SchedInput, type Scheduler } from '../src/model/scheduler.ts';
import { DIR_INPUT } from '../src/conn/direction.ts';
import { TCP_ACK, TCP_SYN } from '../src/conn/proto-tcp.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const CAPACITY = 1 << 20;
const BATCH = 1024;
const VIP = 0xc0a85805; // 192.168.88.5
const CASE = { minSamples: 5, maxTime: 1.5 };

/** Round robin over the dests: cheap and deterministic (the bench measures the table, not rr). */
class BenchRr implements Scheduler {
  readonly name = 'bench-rr';
  private i = 0;
  init(): void {}
  done(): void {}
  addDest(): void {}
  delDest(): void {}
  updDest(): void {}
  loadChanged(): void {}
  schedule(svc: Service): Dest | null {
    const d = svc.dests[this.i++ % svc.dests.length];
    return d ?? null;
  }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
function mem(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Client i: 10.x.y.z with 16 source ports per address. */
const caddrOf = (i: number): number => (0x0a000000 + (i >>> 4)) >>> 0;
const cportOf = (i: number): number => 1024 + (i & 15);

const svc = new Service(AF_INET, IPPROTO_TCP, VIP, 80, 0, 'bench-rr', new BenchRr());
for (let k = 0; k < 8; k++) {
  const d = new Dest(AF_INET, 0xc0a86364 + k, 8080);
  d.fwd = FWD_MASQ;
  svc.dests.push(d);
}

const before = mem();
const conns = new ConnManager({ capacity: CAPACITY, seed: 12345 });
const afterAlloc = mem();
const inp = new SchedInput();
inp.protocol = IPPROTO_TCP;
inp.vaddr = VIP;
inp.daddr = VIP;
inp.vport = 80;
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  inp.caddr = caddrOf(i);
  inp.cport = cportOf(i);
  const id = conns.schedule(svc, inp, TCP_SYN);
  conns.onPacket(id, DIR_INPUT, TCP_SYN, 0);
}
const fillNs = Number(process.hrtime.bigint() - t0) / N;
const afterFill = mem();
const maxChain = conns.table.maxChainIn();
const tableBytesPerConn = (afterAlloc - before) / N;
const filledBytesPerConn = (afterFill - before) / N;

// Random sample of live keys, and keys that are not in the table (port 1024 + 16 .. + 31).
const SAMPLE = 1 << 16;
const sc = new Uint32Array(SAMPLE);
const sp = new Uint16Array(SAMPLE);
const sd = new Uint32Array(SAMPLE);
const sdp = new Uint16Array(SAMPLE);
const sid = new Int32Array(SAMPLE);
let seed = 1;
const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / (1 << 24);
for (let j = 0; j < SAMPLE; j++) {
  const i = Math.floor(rnd() * N);
  sc[j] = caddrOf(i);
  sp[j] = cportOf(i);
  const id = conns.lookupIn(IPPROTO_TCP, sc[j]!, sp[j]!, VIP, 80);
  if (id < 0) throw new Error('fill lost a connection');
  sid[j] = id;
  sd[j] = conns.table.daddr[id]!;
  sdp[j] = conns.table.dport[id]!;
}

// lru-cache with the same 5-tuples as string keys (what a Map-like cache needs per packet).
const lruBefore = mem();
const lru = new LRUCache<string, number>({ max: CAPACITY });
for (let i = 0; i < N; i++) lru.set(`6|${caddrOf(i)}|${cportOf(i)}|${VIP}|80`, i);
const lruBytesPerEntry = (mem() - lruBefore) / N;

const ids = new Int32Array(BATCH);
let sink = 0;
let cursor = 0;
let now = 1000;
let newPort = 0;

await b.suite(
  `conn table at ${N} connections (capacity ${CAPACITY}), ${BATCH} operations per sample op`,
  b.add(
    'lookupIn hit',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        sink += conns.lookupIn(IPPROTO_TCP, sc[j]!, sp[j]!, VIP, 80);
      }
    },
    CASE,
  ),
  b.add(
    'lookupIn miss',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        sink += conns.lookupIn(IPPROTO_TCP, sc[j]!, sp[j]! + 16, VIP, 80);
      }
    },
    CASE,
  ),
  b.add(
    'lookupOut hit',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        sink += conns.lookupOut(IPPROTO_TCP, sd[j]!, sdp[j]!, sc[j]!, sp[j]!);
      }
    },
    CASE,
  ),
  b.add(
    'onPacket (state transition + re-arm)',
    () => {
      now += 1;
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        conns.onPacket(sid[j]!, DIR_INPUT, TCP_ACK, now);
      }
    },
    CASE,
  ),
  b.add(
    'create + delete (schedule, SYN, ip_vs_conn_del)',
    () => {
      inp.caddr = 0x0b000000;
      for (let k = 0; k < BATCH; k++) {
        inp.cport = 1024 + (newPort++ & 0x7fff);
        const id = conns.schedule(svc, inp, TCP_SYN);
        conns.onPacket(id, DIR_INPUT, TCP_SYN, now);
        ids[k] = id;
      }
      for (let k = 0; k < BATCH; k++) conns.deleteConn(ids[k]!, now);
    },
    CASE,
  ),
  b.add(
    'lru-cache get hit (key string built per packet)',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        sink += lru.get(`6|${sc[j]}|${sp[j]}|${VIP}|80`) ?? -1;
      }
    },
    CASE,
  ),
  b.add(
    'lru-cache get miss',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const j = cursor++ & (SAMPLE - 1);
        sink += lru.get(`6|${sc[j]}|${sp[j]! + 16}|${VIP}|80`) ?? -1;
      }
    },
    CASE,
  ),
  b.add(
    'lru-cache set + delete',
    () => {
      for (let k = 0; k < BATCH; k++) {
        const key = `6|${0x0b000000}|${1024 + (newPort++ & 0x7fff)}|${VIP}|80`;
        lru.set(key, k);
        lru.delete(key);
      }
    },
    CASE,
  ),
  b.cycle((r) => {
    const ns = 1e9 / (r.ops * BATCH);
    console.log(
      `  ${r.name.padEnd(48)} ${ns.toFixed(1).padStart(8)} ns/op  (±${r.margin.toFixed(1)}%, ${r.samples} samples)`,
    );
  }),
);

// Timer-driven expiry: everything armed to fire at once, then drained by expire() calls.
lru.clear();
const drainT0 = process.hrtime.bigint();
let fired = 0;
let calls = 0;
const expireAt = 2_000_000_000; // far beyond every timeout
for (;;) {
  const n = conns.expire(expireAt);
  calls++;
  fired += n;
  if (conns.count === 0 || calls > 10_000) break;
}
const drainNs = Number(process.hrtime.bigint() - drainT0) / fired;
console.log(`
fill (schedule + SYN transition) ${fillNs.toFixed(0)} ns/conn
expire() drain                   ${drainNs.toFixed(0)} ns/conn (${fired} fired in ${calls} bounded calls)
longest IN chain at fill         ${maxChain} (buckets = capacity)
bytes/conn, table preallocated   ${tableBytesPerConn.toFixed(1)}  (heapUsed+arrayBuffers delta / ${N})
bytes/conn, after filling        ${filledBytesPerConn.toFixed(1)}
lru-cache bytes/entry            ${lruBytesPerEntry.toFixed(1)}  (string 5-tuple key -> number)
(sink ${sink & 1})`);
