import t from 'tap';
import http from 'node:http';
import {
  renderExposition,
  escapeLabelValue,
  escapeHelp,
  formatValue,
  histogramSamples,
  PROM_CONTENT_TYPE,
} from '../../src/metrics/prom-text.ts';
import { renderTsvsMetrics, type MetricsSnapshot } from '../../src/metrics/prometheus.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import { DropCounters, DROP_NAMES, DROP_NO_DEST, DROP_NOT_SYN } from '../../src/lib/drops.ts';

t.test('label values escape backslash, quote and newline; HELP escapes backslash and newline', async (t) => {
  t.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  t.equal(escapeHelp('x\\y\n"z"'), 'x\\\\y\\n"z"');
  t.same([NaN, Infinity, -Infinity, 0, 1.5, 2 ** 53].map(formatValue), [
    'NaN',
    '+Inf',
    '-Inf',
    '0',
    '1.5',
    '9007199254740992',
  ]);
  const text = renderExposition([
    {
      name: 'x_total',
      help: 'odd "help"\nline',
      type: 'counter',
      samples: [{ labels: { path: 'C:\\tmp "q"\n' }, value: 3 }],
    },
  ]);
  t.equal(text, '# HELP x_total odd "help"\\nline\n# TYPE x_total counter\nx_total{path="C:\\\\tmp \\"q\\"\\n"} 3\n');
  t.throws(() => renderExposition([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]), /invalid metric name/);
  t.throws(
    () =>
      renderExposition([
        { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
      ]),
    /invalid label name/,
  );
});

t.test('a histogram gets cumulative buckets, +Inf, _sum and _count', async (t) => {
  const text = renderExposition([
    {
      name: 'b',
      help: 'h',
      type: 'histogram',
      samples: histogramSamples(
        [
          [1, 2],
          [8, 5],
        ],
        19,
        6,
      ),
    },
  ]);
  t.equal(
    text,
    '# HELP b h\n# TYPE b histogram\nb_bucket{le="1"} 2\nb_bucket{le="8"} 5\nb_bucket{le="+Inf"} 6\nb_sum 19\nb_count 6\n',
  );
});

const FIXTURE: MetricsSnapshot = {
  services: [
    {
      proto: 'tcp',
      vip: '192.168.88.5',
      vport: 80,
      stats: { conns: 3, inPkts: 30, outPkts: 20, inBytes: 2000, outBytes: 9000 },
      rates: { cps: 1, inPps: 15, outPps: 10, inBps: 1000, outBps: 4500 },
      dests: [
        {
          rip: '192.168.99.100',
          rport: 80,
          weight: 2,
          activeConns: 1,
          inactConns: 2,
          stats: { conns: 3, inPkts: 30, outPkts: 20, inBytes: 2000, outBytes: 9000 },
        },
      ],
    },
  ],
  connTable: { entries: 3, capacity: 65536 },
  health: [{ proto: 'tcp', vip: '192.168.88.5', vport: 80, rip: '192.168.99.100', rport: 80, up: true, reason: '' }],
};

const SVC = 'proto="tcp",vip="192.168.88.5",vport="80"';
const RS = `${SVC},rip="192.168.99.100",rport="80"`;
const EXPECTED = [
  '# HELP tsvs_service_connections_total Connections scheduled (virtual service)',
  '# TYPE tsvs_service_connections_total counter',
  `tsvs_service_connections_total{${SVC}} 3`,
  '# HELP tsvs_service_in_packets_total Packets client to real server (virtual service)',
  '# TYPE tsvs_service_in_packets_total counter',
  `tsvs_service_in_packets_total{${SVC}} 30`,
  '# HELP tsvs_service_out_packets_total Packets real server to client (virtual service)',
  '# TYPE tsvs_service_out_packets_total counter',
  `tsvs_service_out_packets_total{${SVC}} 20`,
  '# HELP tsvs_service_in_bytes_total Bytes client to real server (virtual service)',
  '# TYPE tsvs_service_in_bytes_total counter',
  `tsvs_service_in_bytes_total{${SVC}} 2000`,
  '# HELP tsvs_service_out_bytes_total Bytes real server to client (virtual service)',
  '# TYPE tsvs_service_out_bytes_total counter',
  `tsvs_service_out_bytes_total{${SVC}} 9000`,
  '# HELP tsvs_service_connections_per_second Connection rate from the IPVS estimator (2 s ticks, 8 s average) (virtual service)',
  '# TYPE tsvs_service_connections_per_second gauge',
  `tsvs_service_connections_per_second{${SVC}} 1`,
  '# HELP tsvs_service_in_packets_per_second Incoming packet rate from the IPVS estimator (virtual service)',
  '# TYPE tsvs_service_in_packets_per_second gauge',
  `tsvs_service_in_packets_per_second{${SVC}} 15`,
  '# HELP tsvs_service_out_packets_per_second Outgoing packet rate from the IPVS estimator (virtual service)',
  '# TYPE tsvs_service_out_packets_per_second gauge',
  `tsvs_service_out_packets_per_second{${SVC}} 10`,
  '# HELP tsvs_service_in_bytes_per_second Incoming byte rate from the IPVS estimator (virtual service)',
  '# TYPE tsvs_service_in_bytes_per_second gauge',
  `tsvs_service_in_bytes_per_second{${SVC}} 1000`,
  '# HELP tsvs_service_out_bytes_per_second Outgoing byte rate from the IPVS estimator (virtual service)',
  '# TYPE tsvs_service_out_bytes_per_second gauge',
  `tsvs_service_out_bytes_per_second{${SVC}} 4500`,
  '# HELP tsvs_real_server_connections_total Connections scheduled (real server)',
  '# TYPE tsvs_real_server_connections_total counter',
  `tsvs_real_server_connections_total{${RS}} 3`,
  '# HELP tsvs_real_server_in_packets_total Packets client to real server (real server)',
  '# TYPE tsvs_real_server_in_packets_total counter',
  `tsvs_real_server_in_packets_total{${RS}} 30`,
  '# HELP tsvs_real_server_out_packets_total Packets real server to client (real server)',
  '# TYPE tsvs_real_server_out_packets_total counter',
  `tsvs_real_server_out_packets_total{${RS}} 20`,
  '# HELP tsvs_real_server_in_bytes_total Bytes client to real server (real server)',
  '# TYPE tsvs_real_server_in_bytes_total counter',
  `tsvs_real_server_in_bytes_total{${RS}} 2000`,
  '# HELP tsvs_real_server_out_bytes_total Bytes real server to client (real server)',
  '# TYPE tsvs_real_server_out_bytes_total counter',
  `tsvs_real_server_out_bytes_total{${RS}} 9000`,
  '# HELP tsvs_real_server_connections_per_second Connection rate from the IPVS estimator (2 s ticks, 8 s average) (real server)',
  '# TYPE tsvs_real_server_connections_per_second gauge',
  '# HELP tsvs_real_server_in_packets_per_second Incoming packet rate from the IPVS estimator (real server)',
  '# TYPE tsvs_real_server_in_packets_per_second gauge',
  '# HELP tsvs_real_server_out_packets_per_second Outgoing packet rate from the IPVS estimator (real server)',
  '# TYPE tsvs_real_server_out_packets_per_second gauge',
  '# HELP tsvs_real_server_in_bytes_per_second Incoming byte rate from the IPVS estimator (real server)',
  '# TYPE tsvs_real_server_in_bytes_per_second gauge',
  '# HELP tsvs_real_server_out_bytes_per_second Outgoing byte rate from the IPVS estimator (real server)',
  '# TYPE tsvs_real_server_out_bytes_per_second gauge',
  '# HELP tsvs_real_server_weight Current IPVS weight of the real server',
  '# TYPE tsvs_real_server_weight gauge',
  `tsvs_real_server_weight{${RS}} 2`,
  '# HELP tsvs_real_server_active_connections Active connections (ActiveConn)',
  '# TYPE tsvs_real_server_active_connections gauge',
  `tsvs_real_server_active_connections{${RS}} 1`,
  '# HELP tsvs_real_server_inactive_connections Inactive connections (InActConn)',
  '# TYPE tsvs_real_server_inactive_connections gauge',
  `tsvs_real_server_inactive_connections{${RS}} 2`,
  '# HELP tsvs_real_server_up Health check verdict: 1 up, 0 down (a down server stays listed after it left the service)',
  '# TYPE tsvs_real_server_up gauge',
  `tsvs_real_server_up{${RS}} 1`,
  '# HELP tsvs_real_server_health_info Health check state and why it last changed (value always 1)',
  '# TYPE tsvs_real_server_health_info gauge',
  `tsvs_real_server_health_info{${RS},state="up",reason=""} 1`,
  '# HELP tsvs_conn_table_entries Entries in the connection table',
  '# TYPE tsvs_conn_table_entries gauge',
  'tsvs_conn_table_entries 3',
  '# HELP tsvs_conn_table_capacity Capacity of the connection table',
  '# TYPE tsvs_conn_table_capacity gauge',
  'tsvs_conn_table_capacity 65536',
  '',
].join('\n');

t.test('the exposition of a small fixture is exact', async (t) => {
  t.equal(renderTsvsMetrics(FIXTURE), EXPECTED);
});

t.test('drops are one counter per reason and batch sizes a histogram', async (t) => {
  const drops = new DropCounters();
  drops.count(DROP_NO_DEST);
  drops.count(DROP_NO_DEST);
  drops.count(DROP_NOT_SYN);
  const text = renderTsvsMetrics({
    services: [],
    drops: drops.counts,
    batchSizes: {
      buckets: [
        [1, 4],
        [32, 9],
      ],
      sum: 70,
      count: 10,
    },
  });
  t.match(
    text,
    '# HELP tsvs_drops_total Packets dropped by the data plane, by reason\n# TYPE tsvs_drops_total counter\ntsvs_drops_total{reason="short_frame"} 0\n',
  );
  t.match(text, '\ntsvs_drops_total{reason="no_dest"} 2\ntsvs_drops_total{reason="not_syn"} 1\n');
  t.equal(
    text.split('\n').filter((l) => l.startsWith('tsvs_drops_total{')).length,
    DROP_NAMES.length - 1,
    'every reason but none',
  );
  t.match(
    text,
    '# TYPE tsvs_engine_batch_packets histogram\ntsvs_engine_batch_packets_bucket{le="1"} 4\ntsvs_engine_batch_packets_bucket{le="32"} 9\ntsvs_engine_batch_packets_bucket{le="+Inf"} 10\ntsvs_engine_batch_packets_sum 70\ntsvs_engine_batch_packets_count 10\n',
  );
});

t.test('a real server that failed its check and left the service stays listed as down, with why', async (t) => {
  const text = renderTsvsMetrics({
    services: [{ ...FIXTURE.services[0]!, dests: [] }],
    health: [
      {
        proto: 'tcp',
        vip: '192.168.88.5',
        vport: 80,
        rip: '192.168.99.100',
        rport: 80,
        up: false,
        reason: 'HTTP_GET failed: status 500',
      },
    ],
  });
  t.match(text, `\ntsvs_real_server_up{${RS}} 0\n`);
  t.match(text, `\ntsvs_real_server_health_info{${RS},state="down",reason="HTTP_GET failed: status 500"} 1\n`);
  t.notMatch(text, 'tsvs_real_server_weight{', 'it is no longer a member of the service');
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('the endpoint answers on 127.0.0.1 with the 0.0.4 content type', async (t) => {
  let calls = 0;
  const srv = await startMetricsServer('127.0.0.1', 0, () => {
    calls++;
    return FIXTURE;
  });
  t.teardown(() => srv.close());
  t.equal(srv.host, '127.0.0.1');
  const r = await get(srv.port, '/metrics');
  t.same(r, { status: 200, type: PROM_CONTENT_TYPE, body: EXPECTED });
  t.equal(PROM_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  t.equal((await get(srv.port, '/')).status, 404);
  t.equal((await get(srv.port, '/metrics', 'POST')).status, 405);
  t.equal(calls, 1, 'the provider runs once per scrape');
});

t.test('a provider that throws yields a 500, not a crash', async (t) => {
  const srv = await startMetricsServer('127.0.0.1', 0, () => {
    throw new Error('engine gone');
  });
  t.teardown(() => srv.close());
  t.same(await get(srv.port, '/metrics'), {
    status: 500,
    type: 'text/plain; charset=utf-8',
    body: 'error: engine gone\n',
  });
});
