// Health checks end to end (keepalived semantics on tsvs): a web server stopped mid-load is taken
// out within delay_loop x retry, no request fails after that, and it comes back when it returns.
import t from 'tap';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';

const CHECK = `TCP_CHECK {
      connect_timeout 0.5
      retry 1
      delay_before_retry 0.2
    }`;
const HEALTH = `
virtual_server 192.168.88.5 80 {
  delay_loop 0.5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.168.99.100 80 {
    weight 1
    ${CHECK}
  }
  real_server 192.168.99.200 80 {
    weight 2
    ${CHECK}
  }
}
`;

async function waitFor(what: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (what()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return -1;
}

const why = netnsUnavailable();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test('a dead real server leaves the service and comes back', async (t) => {
    const lab = new LabTopology(`th${uniqueSuffix()}`);
    const d = new LabDaemon(lab);
    try {
      lab.up({ mode: 'tsvs' });
      mkdirSync(lab.stateDir, { recursive: true });
      const conf = join(lab.stateDir, 'health.conf');
      writeFileSync(conf, HEALTH);
      await d.start({ extraArgs: ['--health', conf, '--metrics', '127.0.0.1:9101'] });
      const listed = (): string => d.tsvsadm(['-Ln']).stdout;
      t.not(
        await waitFor(() => /192\.168\.99\.100:80.*\n.*192\.168\.99\.200:80/.test(listed()), 5000),
        -1,
        'the health config creates the service and both servers',
      );
      t.same(Object.fromEntries(drive(lab.client, 30)), { web1: 15, web2: 15 });
      // The Prometheus endpoint (inside lvs1) counts exactly that traffic.
      const prom = nsExec(lab.lvs, 'curl', '-s', 'http://127.0.0.1:9101/metrics');
      t.match(
        prom,
        /^tsvs_service_connections_total\{proto="tcp",vip="192\.168\.88\.5",vport="80"\} 30$/m,
        'connections counted in /metrics',
      );
      t.match(prom, /^tsvs_real_server_connections_total\{[^}]*rip="192\.168\.99\.100"[^}]*\} 15$/m);
      t.match(prom, /^tsvs_real_server_up\{[^}]*rip="192\.168\.99\.100"[^}]*\} 1$/m, 'health verdict exported');
      t.match(prom, /^tsvs_conn_table_capacity 65536$/m);

      lab.stopWebServer('web1');
      const detectMs = await waitFor(() => !listed().includes('192.168.99.100'), 10_000);
      t.not(
        detectMs,
        -1,
        `web1 removed after it stopped (${detectMs} ms; delay_loop 0.5 s x (retry 1 + 1) plus timeouts)`,
      );
      const health = (await d.request('health')) as { dest: string; alive: boolean }[];
      t.same(
        health.map((h) => [h.dest, h.alive]),
        [
          ['192.168.99.100:80', false],
          ['192.168.99.200:80', true],
        ],
      );
      t.match(
        d.tsvsadm(['--health']).stdout,
        /TCP 192\.168\.88\.5:80\s+192\.168\.99\.100:80\s+DOWN\s/,
        'tsvsadm --health lists the check states',
      );
      const after = drive(lab.client, 40);
      t.same(Object.fromEntries(after), { web2: 40 }, 'zero failed requests after detection: all go to web2');

      lab.startWebServer('web1');
      t.not(await waitFor(() => listed().includes('192.168.99.100'), 10_000), -1, 'web1 is back when it answers again');
      const back = drive(lab.client, 20);
      t.equal(back.get('web1'), 10, 'and takes its share again');
      t.equal(back.get('FAILED'), undefined);
    } finally {
      d.stop();
      lab.down();
    }
  });
}
