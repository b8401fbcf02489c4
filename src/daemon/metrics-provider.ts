// metrics-provider: the daemon's state as a Prometheus snapshot (src/metrics/prometheus.ts):
// services and real servers with counters and estimator rates, health verdicts, connection-table
// occupancy, drops by reason and engine batch sizes.

import type { DataPlane } from '../model/data-plane.ts';
import type { Engine } from '../datapath/engine.ts';
import type { HealthWiring } from './health-wiring.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { ServiceTable } from '../model/service-table.ts';
import type { MetricsSnapshot } from '../metrics/prometheus.ts';
import type { RateValues } from '../metrics/estimator.ts';

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
): MetricsSnapshot {
  const up = new Map<string, boolean>();
  for (const s of health?.states() ?? []) up.set(`${s.service}|${s.dest}`, s.alive);
  const services = table.dumpOrder().map((s) => {
    const proto = protoName(s.protocol, s.fwmark);
    const vip = s.fwmark !== 0 ? String(s.fwmark) : ipToString(s.addr);
    const svcKey = s.fwmark !== 0 ? `FWM ${s.fwmark}` : `${proto.toUpperCase()} ${vip}:${s.port}`;
    return {
      proto,
      vip,
      vport: s.port,
      stats: { conns: s.conns, inPkts: s.inPkts, outPkts: s.outPkts, inBytes: s.inBytes, outBytes: s.outBytes },
      rates: rates(dp, s),
      dests: s.dests.map((d) => {
        const h = up.get(`${svcKey}|${ipToString(d.addr)}:${d.port}`);
        return {
          rip: ipToString(d.addr),
          rport: d.port,
          weight: d.weight,
          activeConns: d.activeConns,
          inactConns: d.inactConns,
          stats: { conns: d.conns, inPkts: d.inPkts, outPkts: d.outPkts, inBytes: d.inBytes, outBytes: d.outBytes },
          rates: rates(dp, d),
          ...(h === undefined ? {} : { up: h }),
        };
      }),
    };
  });
  if (engine === null) return { services };
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
    batchSizes: { buckets, sum, count },
  };
}
