// monitor-types: what the HealthMonitor watches (services, real servers, checkers with their loop
// settings) and the events it emits; plain data shared by monitor.ts, registry.ts and the daemon.

import type { Checker, CheckResult } from './checker.ts';
import type { Inet6 } from '../lib/inet6.ts';
import type { LoopConfig } from './checker-loop.ts';
import type { DesiredDest, PolicySorryServer } from './policy.ts';

export interface MonitoredChecker {
  readonly checker: Checker;
  readonly loop: LoopConfig;
}

export interface MonitoredServer {
  /** "192.168.99.100:80". */
  readonly key: string;
  readonly addr: number;
  /** An IPv6 real server's four words (addr is their fold). */
  readonly addr6?: Inet6;
  readonly port: number;
  /** Configured weight (keepalived's iweight). */
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
  readonly notifyUp?: readonly string[];
  readonly notifyDown?: readonly string[];
  readonly checkers: readonly MonitoredChecker[];
}

export interface MonitoredService {
  /** "TCP 192.168.88.5:80" (or "FWM 1"). */
  readonly key: string;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: readonly string[];
  readonly quorumDown?: readonly string[];
  readonly sorryServer?: PolicySorryServer;
  readonly servers: readonly MonitoredServer[];
}

export interface HealthEvent {
  readonly serviceKey: string;
  readonly destKey: string;
  readonly up: boolean;
  /** Up: the effective weight (configured or MISC dynamic); down: 0. */
  readonly weight: number;
  /** Down: the dest stays in IPVS at weight 0 (inhibit_on_failure) instead of being removed. */
  readonly inhibit: boolean;
  readonly reason: string;
}

export interface QuorumEvent {
  readonly serviceKey: string;
  readonly up: boolean;
  readonly weightSum: number;
}

export interface DesiredEvent {
  readonly serviceKey: string;
  readonly quorumUp: boolean;
  readonly dests: readonly DesiredDest[];
}

export interface ResultEvent {
  readonly serviceKey: string;
  readonly destKey: string;
  readonly kind: string;
  readonly result: CheckResult;
}
