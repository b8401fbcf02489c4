// metrics-provider: the daemon's state as a Prometheus snapshot (src/metrics/prometheus.ts):
// services and real servers with counters and estimator rates, health verdicts (also of servers
// that failed and left their service), connection-table occupancy, drops by reason, engine batch
// sizes and the process's runtime figures.

import type { DataPlane } from '../model/data-plane.ts';
import type { Engine } from '../datapath/engine.ts';
import type { HealthWiring } from './health-wiring.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { addrText } from '../model/rule-spec.ts';
import type { ServiceTable } from '../model/service-table.ts';
import type { MetricsSnapshot } from '../metrics/prometheus.ts';
import type { RateValues } from '../metrics/estimator.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';

function protoName(p: number, fwmark: number): string {
  if (fwmark !== 0) return 'fwm';
  return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_SCTP ? 'sctp' : String(p);
}

function rates(dp: DataPlane, t: Parameters<DataPlane['rates']>[0]): RateValues {
  const r = dp.rates(t);
  return { cps: r.cps, inPps: r.inpps, outPps: r.outpps, inBps: r.inbps, outBps: r.outbps };
}

export function metricsSnapshot(
  table: ServiceTable,
  dp: DataPlane,
  engine: Engine | null,
  health: HealthWiring | null,
  runtime: RuntimeMetrics | null = null,
): MetricsSnapshot {
  const verdicts = (health?.serverHealth() ?? []).map((h) => ({
    proto: protoName(h.service.protocol, h.service.fwmark),
    vip: h.service.fwmark !== 0 ? String(h.service.fwmark) : addrText(h.service.af, h.service.addr, h.service.addr6),
    vport: h.service.port,
    rip: h.rip,
    rport: h.rport,
    up: h.alive,
    reason: h.reason,
  }));
  const extra = {
    ...(health !== null ? { health: verdicts } : {}),
    ...(runtime !== null ? { runtime: runtime.families() } : {}),
  };
  const services = table.dumpOrder().map((s) => {
    const proto = protoName(s.protocol, s.fwmark);
    const vip = s.fwmark !== 0 ? String(s.fwmark) : addrText(s.af, s.addr, s.addr6);
    return {
      proto,
      vip,
      vport: s.port,
      stats: { conns: s.conns, inPkts: s.inPkts, outPkts: s.outPkts, inBytes: s.inBytes, outBytes: s.outBytes },
      rates: rates(dp, s),
      dests: s.dests.map((d) => {
        return {
          rip: addrText(d.af, d.addr, d.addr6),
          rport: d.port,
          weight: d.weight,
          activeConns: d.activeConns,
          inactConns: d.inactConns,
          stats: { conns: d.conns, inPkts: d.inPkts, outPkts: d.outPkts, inBytes: d.inBytes, outBytes: d.outBytes },
          rates: rates(dp, d),
        };
      }),
    };
  });
  if (engine === null) return { services, ...extra };
  // Batch-size histogram: bucket i holds batches of [2^i, 2^(i+1)) frames (bucket 0: 0-1).
  const bs = engine.batchSizes;
  let cum = 0;
  let count = 0;
  const sum = engine.batchFrames;
  const buckets: [number, number][] = [];
  for (let i = 0; i < bs.length; i++) {
    const n = bs[i] ?? 0;
    cum += n;
    count += n;
    buckets.push([2 ** (i + 1) - 1, cum]);
  }
  return {
    services,
    connTable: { entries: engine.conns.count, capacity: engine.conns.table.capacity },
    drops: engine.drops.counts,
    synproxy: {
      sent: engine.pipeline.synproxy.cookiesSent,
      validated: engine.pipeline.synproxy.cookiesValidated,
      failed: engine.pipeline.synproxy.cookiesFailed,
    },
    batchSizes: { buckets, sum, count },
    interfaces: engine.portWatch.links,
    ...extra,
  };
}
