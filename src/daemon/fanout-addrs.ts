// fanoutAddrs: the addresses the fanout program (src/io/fanout-program.ts) tells directions by,
// from the engine's config and the daemon's services: the "in" destinations (the addresses tsvs
// owns and the VIPs of address services, both families) and the full-NAT local addresses. The
// key changes exactly when the program would, so the workers get a new program only then.

import type { EngineConfig } from '../datapath/engine-config.ts';
import type { FanoutAddrs } from '../io/fanout-program.ts';
import { formatInet6 } from '../lib/inet6.ts';
import { AF_INET, AF_INET6 } from '../model/dest.ts';
import type { TsvsDaemon } from './daemon.ts';

export interface KeyedFanoutAddrs extends FanoutAddrs {
  readonly key: string;
}

export function fanoutAddrs(cfg: EngineConfig, daemon: Pick<TsvsDaemon, 'table'>): KeyedFanoutAddrs {
  const v4 = new Set<number>();
  const v6 = new Map<string, Uint32Array>();
  const local6 = cfg.fullNatAddrs6 ?? [];
  const isLocal6 = (a: Uint32Array): boolean => local6.some((l) => formatInet6(l) === formatInet6(a));
  for (const p of cfg.ports) {
    for (const a of p.owned) if (!cfg.fullNatAddrs.includes(a)) v4.add(a >>> 0);
    for (const a of p.owned6 ?? []) if (!isLocal6(a)) v6.set(formatInet6(a), a);
  }
  for (const s of daemon.table.services()) {
    if (s.fwmark !== 0) continue;
    if (s.af === AF_INET) v4.add(s.addr >>> 0);
    else if (s.af === AF_INET6) v6.set(formatInet6(s.addr6), s.addr6);
  }
  const inAddrs = [...v4].sort((a, b) => a - b);
  const names6 = [...v6.keys()].sort();
  return {
    inAddrs,
    localAddrs: cfg.fullNatAddrs,
    inAddrs6: names6.map((n) => v6.get(n)!),
    localAddrs6: local6,
    key: `${inAddrs.join(',')}|${names6.join(',')}`,
  };
}
