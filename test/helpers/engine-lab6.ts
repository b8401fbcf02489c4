// The IPv6 side of the tutorial's director for in-memory engine tests: the VIP6 on eth0 (the
// clients' prefix), the DIP6's prefix on eth1, and IPv6 services and real servers added the way
// tsvsadm adds them. Tests that vary a port (an MTU, a gateway, one port for both) pass extra
// PortConfig fields.

import type { EngineConfig, PortConfig } from '../../src/datapath/engine-config.ts';
import { inet6Fold, parseInet6 } from '../../src/lib/inet6.ts';
import { AF_INET6 } from '../../src/model/dest.ts';
import type { DestSpec } from '../../src/model/rule-spec.ts';
import type { ServiceTable } from '../../src/model/service-table.ts';

export const VIP6 = '2001:db8:88::5';
export const CIP6 = '2001:db8:88::10';
export const DIP6 = '2001:db8:99::5';

/** eth0: owns the VIP6, the clients' 2001:db8:88::/64 on link. */
export function vip6Port(extra: Partial<PortConfig> = {}): PortConfig {
  return {
    name: 'eth0',
    owned: [],
    subnets: [],
    gateway: 0,
    owned6: [parseInet6(VIP6)!],
    subnets6: [[parseInet6('2001:db8:88::')!, 64]],
    ...extra,
  };
}

/** eth1: the DIP6's 2001:db8:99::/64, toward the real servers. */
export function dip6Port(extra: Partial<PortConfig> = {}): PortConfig {
  return { name: 'eth1', owned: [], subnets: [], gateway: 0, subnets6: [[parseInet6(DIP6)!, 64]], ...extra };
}

/** The two ports and nothing else of an engine config (extra fields merged). */
export function config6(extra: Partial<EngineConfig> = {}): EngineConfig {
  return { ports: [vip6Port(), dip6Port()], fullNatAddrs: [], connCapacity: 1024, ...extra };
}

/** A real server as `-r [addr]:port` with forwarding method fwd and weight 1. */
export function dest6(addr: string, port: number, fwd: number): DestSpec {
  const a = parseInet6(addr)!;
  return { af: AF_INET6, addr: inet6Fold(a), addr6: a, port, fwd, weight: 1, uThreshold: 0, lThreshold: 0 };
}

/** `-A -t|-u [VIP6]:port -s rr` (service flags: e.g. --synproxy's) and its real servers; returns the service's key. */
export function addService6(
  services: ServiceTable,
  protocol: number,
  port: number,
  dests: readonly DestSpec[],
  flags = 0,
) {
  const vip = parseInet6(VIP6)!;
  const key = { af: AF_INET6, protocol, addr: inet6Fold(vip), addr6: vip, port, fwmark: 0 };
  services.addService({ ...key, schedName: 'rr', flags, timeoutSec: 0, netmask: 128, peName: '' });
  for (const d of dests) services.addDest(key, d);
  return key;
}
