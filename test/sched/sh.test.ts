// sh (ip_vs_sh.c): 256 buckets filled by weight in scan order; bucket of a client =
// (offset + (port + caddr) * 2654435761) & 255. Only the low byte of caddr matters for the
// bucket: low byte of 0x9E3779B1 is 0xB1 = 177, so 10.0.0.k lands in bucket (177 * k) & 255.

import t from 'tap';
import { Lab, ip } from './harness.ts';
import { SVC_F_SCHED_SH_FALLBACK, SVC_F_SCHED_SH_PORT, type ShScheduler, shHashkey } from '../../src/sched/sh.ts';
import { IPPROTO_ICMP, IPPROTO_UDP } from '../../src/lib/inet.ts';

const client = (k: number): number => ip('10.0.0.0') + k;

t.test('sh fills the buckets by weight in scan order', async (t) => {
  const lab = new Lab('sh');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 1],
  ]);
  const buckets = (lab.sched as ShScheduler).buckets.map((d) => lab.nameOf(d));
  // A A B A A B ... : bucket i is B when i % 3 == 2.
  t.same(buckets.slice(0, 7), ['A', 'A', 'B', 'A', 'A', 'B', 'A']);
  t.equal(buckets.filter((n) => n === 'A').length, 171);
  t.equal(buckets.filter((n) => n === 'B').length, 85);
});

t.test('sh maps a client address to its bucket with the kernel hash', async (t) => {
  const lab = new Lab('sh');
  lab.addInScanOrder([
    ['A', 2],
    ['B', 1],
  ]);
  t.equal(shHashkey(client(1), 0, 0), 177);
  t.equal(shHashkey(client(2), 0, 0), 98); // 354 & 255
  t.equal(shHashkey(client(3), 0, 0), 19); // 531 & 255
  // buckets 177 (177 % 3 = 0) A, 98 (% 3 = 2) B, 19 (% 3 = 1) A, 196 (k 4, % 3 = 1) A, 38 (k 6) B
  t.same(
    [1, 2, 3, 4, 6].map((k) => lab.nameOf(lab.pickFor(client(k), 5555))),
    ['A', 'B', 'A', 'A', 'B'],
  );
  t.same(
    [1, 2, 3].map((k) => lab.nameOf(lab.pickFor(client(k), 1))),
    ['A', 'B', 'A'],
    'the port is ignored without sh-port',
  );
});

t.test('sh-port hashes the client port too, for TCP, UDP and SCTP only', async (t) => {
  const lab = new Lab('sh', SVC_F_SCHED_SH_PORT);
  lab.addInScanOrder([
    ['A', 2],
    ['B', 1],
  ]);
  // (1 + 10.0.0.1) hashes like 10.0.0.2: bucket 98, B.
  t.equal(lab.nameOf(lab.pickFor(client(1), 1)), 'B');
  t.equal(lab.nameOf(lab.pickFor(client(1), 0)), 'A');
  lab.input.protocol = IPPROTO_UDP;
  t.equal(lab.nameOf(lab.pickFor(client(1), 1)), 'B');
  lab.input.protocol = IPPROTO_ICMP;
  t.equal(lab.nameOf(lab.pickFor(client(1), 1)), 'A', 'no ports for ICMP');
});

t.test('sh gives a weight-0 server one bucket per round and no pick without sh-fallback', async (t) => {
  const lab = new Lab('sh');
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
  ]);
  const buckets = (lab.sched as ShScheduler).buckets.map((d) => lab.nameOf(d));
  t.same(buckets.slice(0, 4), ['A', 'B', 'A', 'B'], '`++d_count >= weight` moves on after one bucket');
  t.equal(lab.nameOf(lab.pickFor(client(1))), 'B', 'bucket 177 is odd: B');
  t.equal(lab.nameOf(lab.pickFor(client(2))), '-', 'bucket 98 is A, which has weight 0');
});

t.test('sh-fallback probes from the original bucket for an available server', async (t) => {
  const lab = new Lab('sh', SVC_F_SCHED_SH_FALLBACK);
  lab.addInScanOrder([
    ['A', 0],
    ['B', 1],
  ]);
  // ihash 98 (A, unavailable); offset 0: roffset 98, bucket (98 + 98) & 255 = 196: A;
  // offset 1: roffset 99, bucket 197: B.
  t.equal(lab.nameOf(lab.pickFor(client(2))), 'B');
  lab.overload('B', true);
  t.equal(lab.nameOf(lab.pickFor(client(2))), '-', 'nobody is available');
});

t.test('sh with sh-fallback moves only the clients of a server that goes down', async (t) => {
  const lab = new Lab('sh', SVC_F_SCHED_SH_FALLBACK);
  for (let i = 0; i < 10; i++) lab.add(`s${i}`, 1 + (i % 3));
  const clients = Array.from({ length: 3000 }, (_, c) => ip('172.16.0.0') + c * 13);
  const before = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  lab.overload('s4', true);
  const after = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  const onS4 = before.filter((n) => n === 's4').length;
  const movedOthers = clients.filter((_, i) => before[i] !== 's4' && after[i] !== before[i]).length;
  t.ok(onS4 > 100, `${onS4} clients were on s4`);
  t.equal(movedOthers, 0, 'no client of another server moved');
  t.equal(after.filter((n) => n === 's4' || n === '-').length, 0, "s4's clients all found another server");
  lab.overload('s4', false);
  t.same(
    clients.map((c) => lab.nameOf(lab.pickFor(c))),
    before,
    'and they all come back',
  );
});

t.test('sh refills its table by list position, so deleting a server moves clients of others too', async (t) => {
  const lab = new Lab('sh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
    ['C', 1],
  ]);
  const clients = Array.from({ length: 256 }, (_, k) => client(k)); // one per bucket
  const before = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  lab.del('B');
  const after = clients.map((c) => lab.nameOf(lab.pickFor(c)));
  // Bucket i: [A,B,C][i % 3] before, [A,C][i % 2] after. A's clients at i = 3 mod 6 move to C,
  // C's at i = 2 mod 6 move to A: 43 + 43 of the 171 clients not on B.
  const movedOthers = clients.filter((_, i) => before[i] !== 'B' && after[i] !== before[i]).length;
  t.equal(movedOthers, 86);
});

t.test('sh re-reads the weights on an edit', async (t) => {
  const lab = new Lab('sh');
  lab.addInScanOrder([
    ['A', 1],
    ['B', 1],
  ]);
  lab.edit('A', 2);
  const buckets = (lab.sched as ShScheduler).buckets.map((d) => lab.nameOf(d));
  t.same(buckets.slice(0, 6), ['A', 'A', 'B', 'A', 'A', 'B']);
});

t.test('sh gives no server to an empty service', async (t) => {
  const lab = new Lab('sh');
  t.equal(lab.pickFor(client(1)), null);
  lab.add('A', 1);
  lab.del('A');
  t.equal(lab.pickFor(client(1)), null);
});
