// Wire structs of the tsvsd control socket: plain JSON data, separate from the domain model
// (src/model). Addresses travel as text (dotted quad; IPv6 as inet_ntop prints it, with
// "af": 10 beside it, absent for IPv4), ports and counters as numbers. Converters
// live in wire-convert.ts. Protocol: one JSON object per line, version 1:
//   request  {"v":1,"id":N,"op":"...","args":{...}}
//   response {"v":1,"id":N,"ok":true,"result":...}
//            {"v":1,"id":N,"ok":false,"error":{"code":"...","message":"..."}}

export const WIRE_VERSION = 1;

/** Identifies a service: protocol number (6, 17, 132) + address + port, or a fwmark. */
export interface WireServiceKey {
  /** 10 (AF_INET6) for an IPv6 service; absent means 2 (AF_INET). */
  readonly af?: number;
  readonly protocol: number;
  readonly addr: string;
  readonly port: number;
  readonly fwmark: number;
}

export interface WireServiceSpec extends WireServiceKey {
  readonly sched: string;
  /** IP_VS_SVC_F_* bits: 0x1 persistent, 0x4 one-packet, 0x8/0x10/0x20 sched flags 1-3. */
  readonly flags: number;
  /** Persistence timeout in seconds. */
  readonly timeout: number;
  /** Persistence netmask: a dotted quad, or for IPv6 the prefix length in decimal ("64"). */
  readonly netmask: string;
  /** --pe name, '' for none. */
  readonly pe: string;
}

export type WireFwd = 'masq' | 'local' | 'tunnel' | 'route' | 'fullnat';

export interface WireDestKey {
  /** 10 (AF_INET6) for an IPv6 real server; absent means 2 (AF_INET). */
  readonly af?: number;
  readonly addr: string;
  readonly port: number;
}

export interface WireDestSpec extends WireDestKey {
  readonly fwd: WireFwd;
  readonly weight: number;
  readonly uThreshold: number;
  readonly lThreshold: number;
  /** Tunnel type, UDP port and flags (the ipvsadm values: 0 ipip 1 gue 2 gre; 0 nocsum 1 csum 2 remcsum). */
  readonly tunType?: number;
  readonly tunPort?: number;
  readonly tunFlags?: number;
}

/** 64-bit counters (exact up to 2^53). */
export interface StatsInfo {
  readonly conns: number;
  readonly inPkts: number;
  readonly outPkts: number;
  readonly inBytes: number;
  readonly outBytes: number;
}

/** Estimated rates per second. */
export interface RateInfo {
  readonly cps: number;
  readonly inPps: number;
  readonly outPps: number;
  readonly inBps: number;
  readonly outBps: number;
}

export interface DestInfo extends WireDestSpec {
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
  readonly stats: StatsInfo;
  readonly rates: RateInfo;
}

export interface ServiceInfo extends WireServiceSpec {
  readonly stats: StatsInfo;
  readonly rates: RateInfo;
  /** In scan order: index 0 is the list head (the most recently added). */
  readonly dests: readonly DestInfo[];
}

/** One row of /proc/net/ip_vs_conn. */
export interface ConnInfo {
  /** "TCP", "UDP", "SCTP". */
  readonly protocol: string;
  readonly expireSec: number;
  /** Kernel state name: ESTABLISHED, SYN_RECV, ..., UDP, NONE. */
  readonly state: string;
  readonly caddr: string;
  readonly cport: number;
  readonly vaddr: string;
  readonly vport: number;
  readonly daddr: string;
  readonly dport: number;
}

/** --timeout values in seconds (tcp = ESTABLISHED, tcpFin = FIN_WAIT, udp = UDP). */
export interface Timeouts {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

export interface DaemonInfo {
  /** "1.2.1", the IPVS version -L reports. */
  readonly ipvsVersion: string;
  /** The connection table size -L reports as (size=N). */
  readonly connTableSize: number;
  readonly tsvsVersion: string;
}

/** Result of the "list" op: DaemonInfo for the header, services in kernel dump order. */
export interface ListResult {
  readonly info: DaemonInfo;
  readonly services: readonly ServiceInfo[];
}

export interface WireError {
  readonly code: string;
  readonly message: string;
}

export interface WireRequest {
  readonly v: number;
  readonly id: number;
  readonly op: string;
  readonly args?: unknown;
}

export type WireResponse =
  | { readonly v: number; readonly id: number | null; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: number | null; readonly ok: false; readonly error: WireError };

/** One element of a "batch" result. */
export type BatchItemResult = { readonly ok: true } | { readonly ok: false; readonly error: WireError };
