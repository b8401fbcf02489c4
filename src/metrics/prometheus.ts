// prometheus: tsvs's metrics (virtual services, real servers, health, connection table, drops by
// reason, engine batch sizes, the process's runtime) as Prometheus text, from a provider that
// returns plain data; metrics-server.ts serves it at /metrics.

import type { StatsValues } from './counters.ts';
import type { RateValues } from './estimator.ts';
import { histogramSamples, renderExposition, type MetricFamily, type MetricType, type Sample } from './prom-text.ts';
import { DROP_NAMES } from '../lib/drops.ts';

export interface DestMetrics {
  /** Real server address as text, e.g. "192.168.99.100". */
  readonly rip: string;
  readonly rport: number;
  readonly weight: number;
  readonly activeConns: number;
  readonly inactConns: number;
  /** Counters as ipvsadm --stats shows them (after -Z). */
  readonly stats: StatsValues;
  /** Decoded estimator rates (ipvsadm --rate). */
  readonly rates?: RateValues;
}

/**
 * A checked real server's verdict. A server that fails its check may have left the service
 * (keepalived's way), so the verdicts come from the health checks, not from the table.
 */
export interface HealthMetrics {
  readonly proto: string;
  readonly vip: string;
  readonly vport: number;
  readonly rip: string;
  readonly rport: number;
  readonly up: boolean;
  /** Why it last changed state, e.g. "TCP_CHECK failed: connection refused"; '' before any change. */
  readonly reason: string;
}

export interface ServiceMetrics {
  /** "tcp" | "udp" | "sctp" (or "fwm" for a firewall-mark service, vip then holds the mark). */
  readonly proto: string;
  readonly vip: string;
  readonly vport: number;
  readonly stats: StatsValues;
  readonly rates?: RateValues;
  readonly dests: readonly DestMetrics[];
}

export interface MetricsSnapshot {
  readonly services: readonly ServiceMetrics[];
  readonly connTable?: { readonly entries: number; readonly capacity: number };
  /** SYN proxy cookies (src/datapath/synproxy.ts). */
  readonly synproxy?: { readonly sent: number; readonly validated: number; readonly failed: number };
  /** Drop counts indexed by DROP_* (a DropCounters' counts array fits). */
  readonly drops?: ArrayLike<number>;
  /** Packets per engine batch: cumulative buckets [le, count], sum and count. */
  readonly batchSizes?: {
    readonly buckets: readonly (readonly [number, number])[];
    readonly sum: number;
    readonly count: number;
  };
  readonly health?: readonly HealthMetrics[];
  /** Each packet port's interface: attached (up) or gone, and the times it was lost. */
  readonly interfaces?: readonly { readonly name: string; readonly up: boolean; readonly losses: number }[];
  /** Process and Node.js runtime families (runtime-metrics.ts), rendered last. */
  readonly runtime?: readonly MetricFamily[];
}

const STAT_FIELDS: ReadonlyArray<[keyof StatsValues, string, string]> = [
  ['conns', 'connections_total', 'Connections scheduled'],
  ['inPkts', 'in_packets_total', 'Packets client to real server'],
  ['outPkts', 'out_packets_total', 'Packets real server to client'],
  ['inBytes', 'in_bytes_total', 'Bytes client to real server'],
  ['outBytes', 'out_bytes_total', 'Bytes real server to client'],
];
const RATE_FIELDS: ReadonlyArray<[keyof RateValues, string, string]> = [
  ['cps', 'connections_per_second', 'Connection rate from the IPVS estimator (2 s ticks, 8 s average)'],
  ['inPps', 'in_packets_per_second', 'Incoming packet rate from the IPVS estimator'],
  ['outPps', 'out_packets_per_second', 'Outgoing packet rate from the IPVS estimator'],
  ['inBps', 'in_bytes_per_second', 'Incoming byte rate from the IPVS estimator'],
  ['outBps', 'out_bytes_per_second', 'Outgoing byte rate from the IPVS estimator'],
];

function fam(name: string, help: string, type: MetricType, samples: Sample[]): MetricFamily {
  return { name, help, type, samples };
}

/** All tsvs metric families for one snapshot, in a fixed order. */
export function tsvsFamilies(snap: MetricsSnapshot): MetricFamily[] {
  const out: MetricFamily[] = [];
  const svcLabels = (s: ServiceMetrics) => ({ proto: s.proto, vip: s.vip, vport: String(s.vport) });
  const destRows = snap.services.flatMap((s) =>
    s.dests.map((d) => ({ labels: { ...svcLabels(s), rip: d.rip, rport: String(d.rport) }, d })),
  );
  for (const [key, suffix, help] of STAT_FIELDS) {
    out.push(
      fam(
        `tsvs_service_${suffix}`,
        `${help} (virtual service)`,
        'counter',
        snap.services.map((s) => ({ labels: svcLabels(s), value: s.stats[key] })),
      ),
    );
  }
  for (const [key, suffix, help] of RATE_FIELDS) {
    out.push(
      fam(
        `tsvs_service_${suffix}`,
        `${help} (virtual service)`,
        'gauge',
        snap.services.flatMap((s) => (s.rates ? [{ labels: svcLabels(s), value: s.rates[key] }] : [])),
      ),
    );
  }
  for (const [key, suffix, help] of STAT_FIELDS) {
    out.push(
      fam(
        `tsvs_real_server_${suffix}`,
        `${help} (real server)`,
        'counter',
        destRows.map(({ labels, d }) => ({ labels, value: d.stats[key] })),
      ),
    );
  }
  for (const [key, suffix, help] of RATE_FIELDS) {
    out.push(
      fam(
        `tsvs_real_server_${suffix}`,
        `${help} (real server)`,
        'gauge',
        destRows.flatMap(({ labels, d }) => (d.rates ? [{ labels, value: d.rates[key] }] : [])),
      ),
    );
  }
  out.push(
    fam(
      'tsvs_real_server_weight',
      'Current IPVS weight of the real server',
      'gauge',
      destRows.map(({ labels, d }) => ({ labels, value: d.weight })),
    ),
  );
  out.push(
    fam(
      'tsvs_real_server_active_connections',
      'Active connections (ActiveConn)',
      'gauge',
      destRows.map(({ labels, d }) => ({ labels, value: d.activeConns })),
    ),
  );
  out.push(
    fam(
      'tsvs_real_server_inactive_connections',
      'Inactive connections (InActConn)',
      'gauge',
      destRows.map(({ labels, d }) => ({ labels, value: d.inactConns })),
    ),
  );
  const health = snap.health ?? [];
  const healthLabels = (h: HealthMetrics) => ({
    proto: h.proto,
    vip: h.vip,
    vport: String(h.vport),
    rip: h.rip,
    rport: String(h.rport),
  });
  out.push(
    fam(
      'tsvs_real_server_up',
      'Health check verdict: 1 up, 0 down (a down server stays listed after it left the service)',
      'gauge',
      health.map((h) => ({ labels: healthLabels(h), value: h.up ? 1 : 0 })),
    ),
  );
  out.push(
    fam(
      'tsvs_real_server_health_info',
      'Health check state and why it last changed (value always 1)',
      'gauge',
      health.map((h) => ({
        labels: { ...healthLabels(h), state: h.up ? 'up' : 'down', reason: h.reason },
        value: 1,
      })),
    ),
  );
  if (snap.connTable !== undefined) {
    out.push(
      fam('tsvs_conn_table_entries', 'Entries in the connection table', 'gauge', [{ value: snap.connTable.entries }]),
    );
    out.push(
      fam('tsvs_conn_table_capacity', 'Capacity of the connection table', 'gauge', [
        { value: snap.connTable.capacity },
      ]),
    );
  }
  if (snap.synproxy !== undefined) {
    const sp = snap.synproxy;
    out.push(
      fam('tsvs_synproxy_cookies_total', 'SYN cookies sent, validated by an ACK, or failed', 'counter', [
        { labels: { result: 'sent' }, value: sp.sent },
        { labels: { result: 'validated' }, value: sp.validated },
        { labels: { result: 'failed' }, value: sp.failed },
      ]),
    );
  }
  if (snap.drops !== undefined) {
    const drops = snap.drops;
    const samples: Sample[] = [];
    for (let i = 1; i < DROP_NAMES.length; i++)
      samples.push({ labels: { reason: DROP_NAMES[i] ?? String(i) }, value: drops[i] ?? 0 });
    out.push(fam('tsvs_drops_total', 'Packets dropped by the data plane, by reason', 'counter', samples));
  }
  if (snap.batchSizes !== undefined) {
    const b = snap.batchSizes;
    out.push(
      fam(
        'tsvs_engine_batch_packets',
        'Packets per engine batch',
        'histogram',
        histogramSamples(b.buckets, b.sum, b.count),
      ),
    );
  }
  if (snap.interfaces !== undefined) {
    const ifs = snap.interfaces;
    out.push(
      fam(
        'tsvs_interface_up',
        'Whether the packet engine is attached to the interface (0: it is gone, waiting for it to return)',
        'gauge',
        ifs.map((l) => ({ labels: { interface: l.name }, value: l.up ? 1 : 0 })),
      ),
    );
    out.push(
      fam(
        'tsvs_interface_losses_total',
        'Times the interface was found gone',
        'counter',
        ifs.map((l) => ({ labels: { interface: l.name }, value: l.losses })),
      ),
    );
  }
  if (snap.runtime !== undefined) out.push(...snap.runtime);
  return out;
}

export function renderTsvsMetrics(snap: MetricsSnapshot): string {
  return renderExposition(tsvsFamilies(snap));
}
