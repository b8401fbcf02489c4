import t from 'tap';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthMonitor } from '../../src/health/monitor.ts';
import type { HealthEvent, ResultEvent } from '../../src/health/monitor-types.ts';
import { parseHealthConfig } from '../../src/health/config.ts';
import { toMonitoredServices } from '../../src/health/registry.ts';

function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** The next `name` event, or a failure after limitMs (a bound, not a timing assertion). */
function nextEvent<E>(m: HealthMonitor, name: 'transition' | 'result', limitMs = 5000): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} event within ${limitMs} ms`)), limitMs);
    m.once(name, (e: E) => {
      clearTimeout(timer);
      resolve(e);
    });
  });
}
const nextTransition = (m: HealthMonitor): Promise<HealthEvent> => nextEvent<HealthEvent>(m, 'transition');

t.test('a TCP_CHECK monitor on real sockets sees a server stop and start, and runs its notify scripts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-health-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'notify.log');
  let srv = await listen();
  const port = (srv.address() as net.AddressInfo).port;
  const cfg = parseHealthConfig(`
virtual_server 192.168.88.5 80 {
  protocol TCP
  delay_loop 0.1
  delay_before_retry 0.05
  retry 1
  warmup 0
  real_server 127.0.0.1 ${port} {
    weight 4
    inhibit_on_failure
    notify_up "/bin/sh -c 'echo up >> ${log}'"
    notify_down "/bin/sh -c 'echo down >> ${log}'"
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`);
  const m = new HealthMonitor(toMonitoredServices(cfg), { bootstrapDelayMs: 0 });
  const firstCheck = nextEvent<ResultEvent>(m, 'result');
  m.start();
  try {
    await firstCheck;
    t.same(m.serverState('TCP 192.168.88.5:80', `127.0.0.1:${port}`), { alive: true, weight: 4, numFailed: 0 });
    const down = nextTransition(m);
    await close(srv);
    t.same(await down, {
      serviceKey: 'TCP 192.168.88.5:80',
      destKey: `127.0.0.1:${port}`,
      up: false,
      weight: 0,
      inhibit: true,
      reason: 'TCP_CHECK failed: connection refused',
    });
    t.same(m.desired('TCP 192.168.88.5:80')?.dests, [{ key: `127.0.0.1:${port}`, weight: 0, sorry: false }]);
    const up = nextTransition(m);
    srv = await listen(port);
    t.same(await up, {
      serviceKey: 'TCP 192.168.88.5:80',
      destKey: `127.0.0.1:${port}`,
      up: true,
      weight: 4,
      inhibit: false,
      reason: 'TCP_CHECK succeeded',
    });
  } finally {
    await m.stop();
    await close(srv);
  }
  t.ok(existsSync(log));
  t.equal(readFileSync(log, 'utf8'), 'down\nup\n');
});
