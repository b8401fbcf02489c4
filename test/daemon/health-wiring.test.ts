// HealthWiring on real loopback sockets: a failed real server leaves the table but stays in
// /metrics as down with its reason; a reload of the health file removes what left it, keeps the
// state of unchanged servers (a down one stays out of the table) and refuses a broken file whole.
import t from 'tap';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../cli/fixtures/harness.ts';
import { HealthWiring } from '../../src/daemon/health-wiring.ts';
import { metricsSnapshot } from '../../src/daemon/metrics-provider.ts';
import { MemoryDataPlane } from '../../src/daemon/memory-data-plane.ts';
import { renderTsvsMetrics } from '../../src/metrics/prometheus.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { Logger } from '../../src/lib/logger.ts';
import { waitFor } from '../helpers/wait-for.ts';

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));
const portOf = (s: net.Server): number => (s.address() as net.AddressInfo).port;

function realServer(port: number, weight = 1): string {
  return `  real_server 127.0.0.1 ${port} {\n    weight ${weight}\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`;
}
function healthFile(servers: string): string {
  return `virtual_server 192.168.88.5 80 {\n  delay_loop 0.1\n  retry 1\n  delay_before_retry 0.05\n  warmup 0\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${servers}}\n`;
}

t.test('a failed server stays in /metrics as down; a reload keeps state and removes what left', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'keepalived.conf');
  const up = await listen();
  const gone = await listen();
  const deadPort = portOf(gone);
  await close(gone); // nothing listens there any more: its checks fail
  t.teardown(() => close(up));
  const upPort = portOf(up);
  writeFileSync(path, healthFile(realServer(upPort) + realServer(deadPort)));
  const table = new ServiceTable({ findScheduler });
  const logs: string[] = [];
  const h = new HealthWiring(table, new Logger({ write: (l) => logs.push(l) }), path, { bootstrapDelayMs: 0 });
  t.teardown(() => h.stop());
  h.start();
  const svc = table.find({ af: 2, protocol: 6, addr: 0xc0a85805, port: 80, fwmark: 0 })!;
  const has = (port: number): boolean => table.find(svc)!.dests.some((d) => d.port === port);
  await waitFor('the dead server to leave the service', () => !has(deadPort));
  t.ok(has(upPort));

  const text = renderTsvsMetrics(metricsSnapshot(table, new MemoryDataPlane(), null, h));
  const labels = (port: number): string => `proto="tcp",vip="192.168.88.5",vport="80",rip="127.0.0.1",rport="${port}"`;
  t.match(text, `\ntsvs_real_server_up{${labels(deadPort)}} 0\n`);
  t.match(text, `\ntsvs_real_server_up{${labels(upPort)}} 1\n`);
  t.match(
    text,
    new RegExp(
      `\\ntsvs_real_server_health_info\\{${labels(deadPort)},state="down",reason="TCP_CHECK failed: [^"]+"\\} 1\\n`,
    ),
  );
  t.notMatch(text, `tsvs_real_server_weight{${labels(deadPort)}}`, 'not a member of the service any more');

  // A broken file changes nothing.
  writeFileSync(path, 'virtual_server 192.168.88.5 {\n');
  await t.rejects(h.prepareReload());
  t.equal(h.cfg.virtualServers[0]!.realServers.length, 2);

  // The up server leaves the file, the dead one stays unchanged, a third (also up) joins.
  const third = await listen();
  t.teardown(() => close(third));
  writeFileSync(path, healthFile(realServer(deadPort) + realServer(portOf(third), 2)));
  const commit = await h.prepareReload();
  await commit();
  t.equal(table.find(svc), svc, 'the service object stays');
  t.notOk(has(upPort), 'the server that left the file left the table');
  t.notOk(has(deadPort), 'the unchanged dead server kept its state: still out, not re-added as up');
  t.same(h.monitor.serverState('TCP 192.168.88.5:80', `127.0.0.1:${deadPort}`)?.alive, false);
  await waitFor('the new server to join', () => has(portOf(third)));
  t.match(logs.join(''), /level=info msg="health checks reloaded" file=\S+ virtualServers=1 removed=1\n/);
});

t.test('warnings are logged at load; a group and an included file become services', async (t) => {
  const dir = tempDir(t);
  const gone = await listen();
  const deadPort = portOf(gone);
  await close(gone);
  const path = join(dir, 'keepalived.conf');
  writeFileSync(join(dir, 'group.conf'), 'virtual_server_group G {\n  192.168.88.7-8 80\n  fwmark 5\n}\n');
  writeFileSync(
    path,
    'include group.conf\nvirtual_server group G {\n  nat_mask 255.255.255.0\n  lb_algo rr\n  protocol TCP\n  quorum 4\n' +
      '  delay_loop 0.1\n  retry 1\n  delay_before_retry 0.05\n  warmup 0\n' +
      `  real_server 127.0.0.1 1 {\n    weight 2\n  }\n${realServer(deadPort)}}\n`,
  );
  const table = new ServiceTable({ findScheduler });
  const logs: string[] = [];
  const h = new HealthWiring(table, new Logger({ write: (l) => logs.push(l) }), path, { bootstrapDelayMs: 0 });
  t.teardown(() => h.stop());
  h.start();
  const out = logs.join('');
  t.match(out, `level=warn msg="health config" warning="${path}:3: Unknown keyword 'nat_mask'"`);
  t.match(
    out,
    /Warning - quorum 4 for TCP 192.168.88.7:80 exceeds total weight of real servers 3, reducing quorum to 3/,
  );
  const keys = [
    { af: 2, protocol: 6, addr: 0xc0a85807, port: 80, fwmark: 0 },
    { af: 2, protocol: 6, addr: 0xc0a85808, port: 80, fwmark: 0 },
    { af: 2, protocol: 0, addr: 0, port: 0, fwmark: 5 },
  ];
  for (const key of keys) t.ok(table.find(key), `service ${JSON.stringify(key)} exists`);
  // The members share one checker set: one monitored service, its verdict applied to each member.
  t.ok(h.monitor.desired('group G'));
  t.equal(h.monitor.desired('TCP 192.168.88.7:80'), undefined);
  const hasDead = (): boolean => keys.some((k) => table.find(k)!.dests.some((d) => d.port === deadPort));
  await waitFor('the dead server to leave every member', () => !hasDead());
  for (const k of keys)
    t.same(
      table.find(k)!.dests.map((d) => d.port),
      [1],
    );
});
