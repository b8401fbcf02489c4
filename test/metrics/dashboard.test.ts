// deploy/grafana/tsvs-dashboard.json cannot drift from the code: every metric name in every
// panel's PromQL and every template query is one that a live tsvsd serves at /metrics. A bare
// tsvsd (--backend none) is scraped here; the packet engine's families are checked against a
// tsvsd running the engine in a lab of network namespaces (root only).
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, scrapeMetrics, startTsvsd, tempDir, tsvsadm } from '../bin/fixtures/procs.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { LabDaemon } from '../../lab/lab-daemon.ts';
import { netnsUnavailable, nsExec, uniqueSuffix } from '../../lab/netns.ts';
import { LabTopology } from '../../lab/topology.ts';
import { drive } from '../../lab/traffic.ts';

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr?: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  __inputs: { name: string; pluginId: string }[];
  templating: { list: { name: string; query: { query: string } }[] };
  panels: Panel[];
}

const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/tsvs-dashboard.json'), 'utf8')) as Dashboard;
const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');

/** The families only a running packet engine exports (src/daemon/metrics-provider.ts). */
const ENGINE_ONLY = [
  'tsvs_conn_table_entries',
  'tsvs_conn_table_capacity',
  'tsvs_drops_total',
  'tsvs_engine_batch_packets',
];

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** Metric names in a PromQL expression: identifiers outside strings, matchers, ranges and label lists, not calls. */
function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: string[] = [];
  for (const m of s.matchAll(/(?<![\w.:$])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] === undefined && !KEYWORDS.has(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** Every (where, metric) of the dashboard: panel targets and the template variables' queries. */
function usedNames(): [string, string][] {
  const used: [string, string][] = [];
  for (const p of panels)
    for (const tg of p.targets ?? []) for (const n of metricNames(tg.expr ?? '')) used.push([p.title, n]);
  for (const v of dash.templating.list) {
    const m = /^label_values\((.*),\s*\w+\)$/.exec(v.query.query);
    for (const n of metricNames(m?.[1] ?? v.query.query)) used.push([`variable ${v.name}`, n]);
  }
  return used;
}

/** Names a scrape serves: sample names, and each family's name with its histogram suffixes. */
function exposedNames(body: string): Set<string> {
  const names = new Set<string>();
  for (const line of body.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      names.add(type[1]!);
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
    } else if (line !== '' && !line.startsWith('#')) names.add(/^[A-Za-z_:][\w:]*/.exec(line)![0]);
  }
  return names;
}

function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

const HEALTH = (rport: number) => `virtual_server 127.0.0.1 8080 {
  delay_loop 1
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 ${rport} {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

t.test('metricNames reads the metrics of a PromQL expression, not its functions, labels or keywords', async (t) => {
  const table: [string, string[]][] = [
    ['sum by (reason) (rate(tsvs_drops_total{instance=~"$instance"}[$__rate_interval])) > 0', ['tsvs_drops_total']],
    [
      'histogram_quantile(0.99, sum by (instance, le) (rate(tsvs_engine_batch_packets_bucket{job="a"}[5m])))',
      ['tsvs_engine_batch_packets_bucket'],
    ],
    ['sum(a_total) / on (instance) group_left (vip) b_total and c', ['a_total', 'b_total', 'c']],
    ['max by (vip) (x{reason="a b(c) d"}) offset 5m', ['x']],
    ['1e3 * up', ['up']],
  ];
  for (const [expr, names] of table) t.same(metricNames(expr), names, expr);
});

t.test('the dashboard is a Grafana import with a Prometheus input and instance and service variables', async (t) => {
  t.ok(dash.schemaVersion >= 39, `schemaVersion ${dash.schemaVersion}`);
  t.same(
    dash.__inputs.map((i) => [i.name, i.pluginId]),
    [['DS_PROMETHEUS', 'prometheus']],
  );
  t.same(
    dash.templating.list.map((v) => v.name),
    ['job', 'instance', 'vip', 'vport'],
  );
  t.ok(panels.length >= 15, `${panels.length} panels`);
  for (const p of panels) {
    t.equal(p.datasource?.uid, '${DS_PROMETHEUS}', `${p.title}: datasource is the input`);
    t.ok((p.targets ?? []).length > 0, `${p.title}: has queries`);
    for (const tg of p.targets ?? []) t.ok(metricNames(tg.expr ?? '').length > 0, `${p.title}: ${tg.expr}`);
  }
});

t.test('every metric the dashboard queries is served by a live tsvsd (the engine families aside)', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 's.sock');
  const conf = join(dir, 'health.conf');
  writeFileSync(conf, HEALTH(await freePort()));
  const port = await freePort();
  const args = ['--socket', socket, '--rules', join(dir, 'rules'), '--backend', 'none', '--health', conf];
  await startTsvsd(t, [...args, '--metrics', `127.0.0.1:${port}`], socket);
  t.equal((await tsvsadm(['--socket', socket, '-a', '-t', '127.0.0.1:8080', '-r', '127.0.0.2:80', '-m'])).code, 0);
  const body = await waitFor('a scrape with the real server', async () => {
    const b = await scrapeMetrics(port);
    return b.includes('rip="127.0.0.2"') ? b : '';
  });
  const exposed = exposedNames(body);
  for (const name of ENGINE_ONLY) t.notOk(exposed.has(name), `${name} needs the engine (the list here is honest)`);
  const used = usedNames();
  t.ok(used.length >= 30, `${used.length} metric uses`);
  for (const [where, name] of used) {
    if (ENGINE_ONLY.includes(family(name))) continue;
    t.ok(exposed.has(name), `${where}: ${name} is served`);
  }
  t.ok(
    used.some(([, n]) => ENGINE_ONLY.includes(family(n))),
    'the dashboard shows engine families (checked in the lab below)',
  );
});

const why = netnsUnavailable();
t.test('with a packet engine every dashboard metric is served', { skip: why ?? false }, async (t) => {
  const lab = new LabTopology(`gd${uniqueSuffix()}`);
  const d = new LabDaemon(lab);
  try {
    lab.up({ mode: 'tsvs' });
    mkdirSync(lab.stateDir, { recursive: true });
    const conf = join(lab.stateDir, 'health.conf');
    writeFileSync(
      conf,
      HEALTH(80).replace('127.0.0.1 8080', '192.168.88.5 80').replace('127.0.0.1 80', '192.168.99.100 80'),
    );
    await d.start({ extraArgs: ['--health', conf, '--metrics', '127.0.0.1:9101'] });
    await waitFor('the service from the health config', () => d.tsvsadm(['-Ln']).stdout.includes('192.168.99.100:80'));
    t.same(Object.fromEntries(drive(lab.client, 4)), { web1: 4 }, 'traffic through the engine');
    const exposed = exposedNames(nsExec(lab.lvs, 'curl', '-s', 'http://127.0.0.1:9101/metrics'));
    for (const [where, name] of usedNames()) t.ok(exposed.has(name), `${where}: ${name} is served`);
  } finally {
    d.stop();
    lab.down();
  }
});
