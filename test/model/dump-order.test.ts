// kernelDumpOrder: ip_vs_svc_table bucket order (ip_vs_svc_hashkey with the netns term 0),
// newest first within a bucket, then the fwmark table.
import t from 'tap';
import { kernelDumpOrder, svcHashKey, svcFwmHashKey } from '../../src/model/dump-order.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import type { Scheduler } from '../../src/model/scheduler.ts';

const sched = { name: 'x' } as unknown as Scheduler;
const mk = (protocol: number, addr: number, port: number, fwmark = 0) =>
  new Service(2, protocol, addr, port, fwmark, 'x', sched);

t.test('the hash key is (proto ^ addr ^ (port >> 8) ^ port) & 255', async (t) => {
  // 6 ^ 0xc0a85805 ^ (80 >> 8) ^ 80 = low byte 0x05 ^ 0x06 ^ 0x50 = 0x53
  t.equal(svcHashKey(IPPROTO_TCP, 0xc0a85805, 80), 0x53);
  t.equal(svcHashKey(IPPROTO_UDP, 0xc0a85805, 0x1234), (17 ^ 0x05 ^ 0x12 ^ 0x34) & 255);
  t.equal(svcFwmHashKey(0x1ff), 0xff);
});

t.test('services come out by bucket, the newest first in a bucket, fwmarks last', async (t) => {
  const a = mk(IPPROTO_TCP, 0x0a000001, 80); // bucket 6^1^80 = 0x57
  const b = mk(IPPROTO_TCP, 0x0a000002, 83); // 6^2^83 = 0x57 too: same bucket, newer
  const c = mk(IPPROTO_TCP, 0x0a000001, 1); // 6^1^1 = 6
  const f = mk(IPPROTO_TCP, 0, 0, 1);
  t.equal(svcHashKey(6, a.addr, a.port), svcHashKey(6, b.addr, b.port));
  t.same(kernelDumpOrder([f, a, b, c]), [c, b, a, f]);
});
