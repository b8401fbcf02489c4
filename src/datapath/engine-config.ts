// EngineConfig: the interfaces the director owns and the addresses it answers for in userspace.
//
// tsvs owns the VIPs and the full-NAT local addresses in userspace: it answers ARP and ICMP echo
// for them, and the director's kernel has no copy of them (with ip_forward=0 the kernel drops its
// copy of a frame to an address it does not own silently: no RST, no ICMP). The DIP stays a
// kernel address on the real-server side, as on an LVS director: the real servers use it as their
// gateway, and health checks and management traffic leave from it through the kernel's own stack.

import type { DefenseSysctls } from '../conn/defense.ts';
import type { Inet6 } from '../lib/inet6.ts';

/**
 * Default embryonic quota in percent of the connection table: half the table may hold
 * connections still in their handshake, the other half is kept for established ones.
 */
export const DEFAULT_EMBRYONIC_PERCENT = 50;

/**
 * sysctl sloppy_tcp, per engine: 'off' (the kernel's default: only a SYN creates a TCP
 * connection), 'on' (any non-RST packet may, whatever the scheduler), 'consistent' (only for
 * services whose scheduler is consistent, mh and sh: a director behind ECMP adopts the flows
 * another director started, and picks the real server that one picked).
 */
export type SloppyTcp = 'off' | 'on' | 'consistent';

export interface PortConfig {
  /** Interface name, e.g. eth0. */
  readonly name: string;
  /** Addresses tsvs answers ARP/ICMP echo for on this port, uint32. */
  readonly owned: readonly number[];
  /** Connected subnets reachable on this port: [address, prefixLen] pairs (address uint32). */
  readonly subnets: readonly (readonly [number, number])[];
  /** Default gateway reachable through this port, uint32, or 0. */
  readonly gateway: number;
  /** IPv6 addresses tsvs answers neighbour solicitations and ICMPv6 echo for on this port. */
  readonly owned6?: readonly Inet6[];
  /** Connected IPv6 prefixes on this port: [address, prefixLen]; a host address names tsvs's NS source. */
  readonly subnets6?: readonly (readonly [Inet6, number])[];
  /** IPv6 default gateway through this port. */
  readonly gateway6?: Inet6;
}

export interface EngineConfig {
  readonly ports: readonly PortConfig[];
  /** Full-NAT local addresses (tsvs-owned, on the real-server side), uint32. */
  readonly fullNatAddrs: readonly number[];
  /** Full-NAT local IPv6 addresses (tsvs-owned, on the real-server side) for IPv6 services. */
  readonly fullNatAddrs6?: readonly Inet6[];
  /** Connection table capacity. */
  readonly connCapacity: number;
  /** Full-NAT local port range [min, max] per local address (either family); default 1024-65535. */
  readonly fullNatPorts?: readonly [number, number];
  /** Busy polling after frames, microseconds (AfPacketOptions.spinUs; default DEFAULT_SPIN_US). */
  readonly busyPollUs?: number;
  /** Poll-timer period under load, microseconds (AfPacketOptions.pollIntervalUs); 0 = stay on wakeups. */
  readonly pollIntervalUs?: number;
  /** Slots of each port's jumbo ring (AfPacketOptions.jumboSlots); 0 = none. */
  readonly jumboSlots?: number;
  /** Install the nft netdev ingress table (kernel-filter.ts); default true. */
  readonly kernelFilter?: boolean;
  /** IPVS defence sysctls (src/conn/defense.ts); the kernel's defaults for those not given. */
  readonly defense?: Partial<DefenseSysctls>;
  /**
   * Most embryonic TCP entries, in percent of connCapacity (src/conn/embryonic-list.ts); 0 = no
   * quota; default DEFAULT_EMBRYONIC_PERCENT.
   */
  readonly embryonicPercent?: number;
  /**
   * The VRRP state the engine starts in when keepalived runs beside it: 'backup' holds the owned
   * addresses silently until `tsvsadm --vrrp-state master` (keepalived's notify_master);
   * 'master', like no value, answers for them from the start (src/daemon/vrrp-state.ts).
   */
  readonly vrrpState?: 'master' | 'backup';
  /**
   * keepalived's notify FIFO, read by tsvsd for its VRRP state changes (src/daemon/vrrp-fifo.ts):
   * an absolute path, or a file name in the control socket's directory.
   */
  readonly vrrpNotifyFifo?: string;
  /** sloppy_tcp (SloppyTcp); default 'off'. */
  readonly sloppyTcp?: SloppyTcp;
  /**
   * The connection table's state file (an absolute path), or 'none' to keep it in memory only;
   * default: beside the control socket (src/daemon/state-file.ts).
   */
  readonly stateFile?: string;
  /**
   * Data-path threads (src/daemon/engine-workers.ts), each with its own rings in one PACKET_FANOUT
   * group per interface, its own connection table and its own slice of the full-NAT ports; 1
   * (the default) runs the data path on the main thread.
   */
  readonly workers?: number;
}

/** Most data-path threads: the fanout program's worker index and the port slices have no limit, a
 * director with more cores than this gains little from more rings. */
export const MAX_WORKERS = 64;

/** The embryonic quota in entries for a capacity and a percentage (at least 1 when on). */
export function embryonicQuota(capacity: number, percent: number): number {
  return percent <= 0 ? 0 : Math.max(1, Math.floor((capacity * percent) / 100));
}

export function prefixMask(prefixLen: number): number {
  return prefixLen <= 0 ? 0 : prefixLen >= 32 ? 0xffffffff : (0xffffffff << (32 - prefixLen)) >>> 0;
}
