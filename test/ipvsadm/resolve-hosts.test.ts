// parseArgvResolving: only words used as hosts are looked up, lookups are bounded, and a name
// that does not resolve gives ipvsadm's message.
import t from 'tap';
import { parseArgvResolving } from '../../src/ipvsadm/resolve-hosts.ts';
import { ArgvExit } from '../../src/ipvsadm/argv-exit.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { SERVICES_DB } from '../cli/fixtures/format-fixture.ts';

t.test('service, real-server and mask names are resolved; scheduler names are never looked up', async (t) => {
  const asked: string[] = [];
  const table: Record<string, number> = { vip: 0x0a000001, rs1: 0x0a000002, mask: 0xffffff00 };
  const forward = async (n: string) => {
    asked.push(n);
    return table[n] ?? null;
  };
  const c = await parseArgvResolving(['-A', '-t', 'vip:http', '-s', 'rr', '-p', '-M', 'mask'], {
    forward,
    services: SERVICES_DB,
  });
  t.same([c.svc.addr, c.svc.port, c.svc.netmask], [0x0a000001, 80, 0xffffff00]);
  const d = await parseArgvResolving(['-a', '-t', 'vip:80', '-r', 'rs1', '-m'], { forward, services: SERVICES_DB });
  t.same([d.dest.addr, d.dest.port], [0x0a000002, 80]);
  t.same(asked, ['vip', 'mask', 'vip', 'rs1'], 'one round per newly met name, nothing else');
});

t.test('an unresolvable or slow name is an illegal address, within the time bound', async (t) => {
  const timers = new ManualTimers();
  let settled = false;
  const pending = parseArgvResolving(['-A', '-t', 'slow.example:80'], {
    forward: () => new Promise(() => undefined),
    timeoutMs: 100,
    timers,
  })
    .catch((x: unknown) => x)
    .finally(() => (settled = true));
  await timers.advance(99);
  t.notOk(settled, 'still waiting for the lookup before the deadline');
  await timers.advance(1);
  t.ok(settled, 'the lookup is abandoned at the 100 ms deadline');
  const e = await pending;
  t.ok(e instanceof ArgvExit);
  t.equal((e as ArgvExit).text, 'illegal virtual server address[:port] specified\n');
  t.equal((e as ArgvExit).exitCode, 2);
});
