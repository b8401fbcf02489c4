// health-entries: a keepalived-syntax health config (src/health/config.ts) as what HealthWiring
// puts in the service table: each virtual server's table key and service spec, and its member
// real servers (the sorry server included) with the forwarding method and thresholds.

import { AF_INET, AF_INET6, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT } from '../model/service.ts';
import type { ServiceKey, ServiceSpec } from '../model/rule-spec.ts';
import type { HealthConfig, VirtualServerConfig } from '../health/config.ts';
import type { Inet6 } from '../lib/inet6.ts';

const METHOD = { NAT: FWD_MASQ, DR: FWD_ROUTE, TUN: FWD_TUNNEL } as const;

export interface Member {
  af: number;
  addr: number;
  addr6?: Inet6;
  port: number;
  fwd: number;
  uThreshold: number;
  lThreshold: number;
}

export interface Entry {
  vs: VirtualServerConfig;
  key: ServiceKey;
  members: Map<string, Member>;
}

/** The virtual servers of a health config by key, with their table keys and members. */
export function entriesOf(cfg: HealthConfig): Map<string, Entry> {
  const byKey = new Map<string, Entry>();
  for (const vs of cfg.virtualServers) {
    const key: ServiceKey = {
      af: vs.addr6 !== undefined ? AF_INET6 : AF_INET,
      protocol: vs.fwmark !== 0 ? 0 : vs.protocol,
      addr: vs.fwmark !== 0 ? 0 : vs.addr,
      ...(vs.addr6 !== undefined ? { addr6: vs.addr6 } : {}),
      port: vs.fwmark !== 0 ? 0 : vs.port,
      fwmark: vs.fwmark,
    };
    const members = new Map<string, Member>();
    for (const rs of vs.realServers) {
      members.set(rs.key, {
        af: rs.addr6 !== undefined ? AF_INET6 : AF_INET,
        addr: rs.addr,
        ...(rs.addr6 !== undefined ? { addr6: rs.addr6 } : {}),
        port: rs.port,
        fwd: METHOD[rs.method],
        uThreshold: rs.uThreshold,
        lThreshold: rs.lThreshold,
      });
    }
    if (vs.sorryServer)
      members.set(vs.sorryServer.key, {
        af: vs.sorryServer.addr6 !== undefined ? AF_INET6 : AF_INET,
        addr: vs.sorryServer.addr,
        ...(vs.sorryServer.addr6 !== undefined ? { addr6: vs.sorryServer.addr6 } : {}),
        port: vs.sorryServer.port,
        fwd: METHOD[vs.sorryServer.method ?? vs.method],
        uThreshold: 0,
        lThreshold: 0,
      });
    byKey.set(vs.key, { vs, key, members });
  }
  return byKey;
}

/** A configuration's identity for carrying state over a reload: everything but line numbers. */
export function signature(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => (k === 'line' ? undefined : x));
}

/** The service spec a virtual server asks for (lb_algo, persistence_timeout, ops, sh-/mh- flags). */
export function serviceSpecOf(vs: VirtualServerConfig, key: ServiceKey): ServiceSpec {
  return {
    ...key,
    schedName: vs.sched,
    flags: (vs.persistenceTimeoutSec > 0 ? SVC_F_PERSISTENT : 0) | (vs.ops ? SVC_F_ONEPACKET : 0) | vs.schedFlags,
    timeoutSec: vs.persistenceTimeoutSec || 300,
    // persistence_granularity: an IPv4 mask, or for IPv6 a prefix length (128 when unset).
    netmask:
      key.af === AF_INET6
        ? vs.persistenceGranularity === 0xffffffff
          ? 128
          : vs.persistenceGranularity
        : vs.persistenceGranularity >>> 0 || 0xffffffff,
    peName: '',
  };
}
