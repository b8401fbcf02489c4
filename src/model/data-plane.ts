// DataPlane: what the control plane needs from the packet engine and cannot know itself. The
// daemon starts with MemoryDataPlane (memory-data-plane.ts); the engine implements this
// interface and is plugged in with TsvsDaemon.attachDataPlane(). Counters of services and real
// servers (conns, pkts, bytes) and active/inactive/persistent connection counts live in the
// model objects, which the engine updates; rates and connections live in the engine.

import type { Inet6 } from '../lib/inet6.ts';
import type { Dest } from './dest.ts';
import type { Service } from './service.ts';
import type { TableChange } from './service-table.ts';

/** Estimator output (ip_vs_est.c): per-second rates. */
export interface Rates {
  readonly cps: number;
  readonly inpps: number;
  readonly outpps: number;
  readonly inbps: number;
  readonly outbps: number;
}

export const ZERO_RATES: Rates = Object.freeze({ cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0 });

/** One connection entry or persistence template, as /proc/net/ip_vs_conn shows it. */
export interface ConnSnapshot {
  readonly protocol: number;
  /** cp->af, the client side's family; absent means AF_INET. */
  readonly af?: number;
  /** cp->daf, the real server's family (differs from af only for tunnels); absent means af. */
  readonly daf?: number;
  /** IPv4 uint32 host order (for AF_INET6 unused: the words are in caddr6, vaddr6, daddr6). */
  readonly caddr: number;
  readonly caddr6?: Inet6;
  readonly vaddr6?: Inet6;
  readonly daddr6?: Inet6;
  readonly cport: number;
  readonly vaddr: number;
  readonly vport: number;
  readonly daddr: number;
  readonly dport: number;
  /** Kernel state name (tcp_state_name_table in ip_vs_proto_tcp.c, "UDP", ...). */
  readonly state: string;
  /** Time left before expiry. */
  readonly expireMs: number;
}

/** Connection timeouts in seconds (ESTABLISHED, FIN_WAIT, UDP). */
export interface TimeoutValues {
  readonly tcpSec: number;
  readonly tcpFinSec: number;
  readonly udpSec: number;
}

/** Defaults of tcp_timeouts[] (ip_vs_proto_tcp.c) and udp_timeouts[] (ip_vs_proto_udp.c). */
export const DEFAULT_TIMEOUTS: TimeoutValues = Object.freeze({ tcpSec: 900, tcpFinSec: 120, udpSec: 300 });

export interface DataPlane {
  /** ip_vs_conn_tab_size: what -L prints as (size=N). */
  connTableSize(): number;
  /** Every entry of the connection table (the rows of -Lc). */
  connections(): ConnSnapshot[];
  timeouts(): TimeoutValues;
  /** Full values to apply (the caller has already kept those --set gave as 0). */
  setTimeouts(t: TimeoutValues): void;
  /** Current rates of a service or one of its real servers. */
  rates(target: Service | Dest): Rates;
  /** -Z: the model counters of these services and their dests were zeroed; reset the rates. */
  zeroStats(services: readonly Service[]): void;
  /** Told after every change of the service table (optional). */
  tableChanged?(change: TableChange): void;
}
