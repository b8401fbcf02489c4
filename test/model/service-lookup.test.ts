// ServiceLookup: the open-addressing table the data plane reads; agrees with a plain scan on
// random tables, never blocks on probes, and a built table never changes under a reader.
import t from 'tap';
import { ServiceLookup } from '../../src/model/service-lookup.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import type { Scheduler } from '../../src/model/scheduler.ts';

const sched = { name: 'x' } as unknown as Scheduler;
const mk = (protocol: number, addr: number, port: number, fwmark = 0) =>
  new Service(2, protocol, addr, port, fwmark, 'x', sched);

/** xorshift32, seeded, for reproducible tables. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

t.test('lookups agree with a linear scan on random tables, including misses and near-misses', async (t) => {
  const r = rng(12345);
  for (const n of [0, 1, 7, 8, 9, 100, 1000]) {
    const svcs: Service[] = [];
    const seen = new Set<string>();
    while (svcs.length < n) {
      const proto = r() & 1 ? IPPROTO_TCP : IPPROTO_UDP;
      const addr = (0xc0a80000 | (r() & 0xff)) >>> 0; // crowd one /24 to force collisions
      const port = 1 + (r() % 64);
      const k = `${proto}/${addr}/${port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      svcs.push(mk(proto, addr, port));
    }
    const table = new ServiceLookup(svcs);
    let mismatches = 0;
    for (let i = 0; i < 5000; i++) {
      const proto = r() & 1 ? IPPROTO_TCP : IPPROTO_UDP;
      const addr = (0xc0a80000 | (r() & 0xff)) >>> 0;
      const port = 1 + (r() % 64);
      const want = svcs.find((s) => s.protocol === proto && s.addr === addr && s.port === port) ?? null;
      if (table.find(proto, addr, port) !== want) mismatches++;
    }
    t.equal(mismatches, 0, `${n} services`);
  }
});

t.test('addresses with the top bit set (negative as int32) are found', async (t) => {
  const s = mk(IPPROTO_TCP, 0xfe000001, 443);
  const table = new ServiceLookup([s]);
  t.equal(table.lookup(IPPROTO_TCP, 0xfe000001, 443), s);
  t.equal(table.lookup(IPPROTO_TCP, 0xfe000001 | 0, 443), s, 'a signed view of the same address');
});

t.test('the port-zero service is probed only when one exists, and only for its own address', async (t) => {
  const any = mk(IPPROTO_TCP, 0x0a000001, 0);
  const web = mk(IPPROTO_TCP, 0x0a000002, 80);
  const table = new ServiceLookup([any, web]);
  t.equal(table.nullServices, 1);
  t.equal(table.lookup(IPPROTO_TCP, 0x0a000001, 9999), any);
  t.equal(table.lookup(IPPROTO_TCP, 0x0a000002, 9999), null);
  t.equal(new ServiceLookup([web]).nullServices, 0);
});

t.test('a built table is immutable: a reader holding the old one is not affected by a rebuild', async (t) => {
  const a = mk(IPPROTO_TCP, 0x0a000001, 80);
  const old = new ServiceLookup([a]);
  const next = new ServiceLookup([]);
  t.equal(old.lookup(IPPROTO_TCP, 0x0a000001, 80), a);
  t.equal(next.lookup(IPPROTO_TCP, 0x0a000001, 80), null);
});

t.test('fwmark services are found by mark only and never by address', async (t) => {
  const f = mk(IPPROTO_TCP, 0, 0, 42);
  const table = new ServiceLookup([f]);
  t.equal(table.lookupFwmark(42), f);
  t.equal(table.lookup(IPPROTO_TCP, 0, 0), null);
});
