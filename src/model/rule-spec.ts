// Rule specs: what one -A/-E or -a/-e command asks for (struct ip_vs_service_user_kern and
// struct ip_vs_dest_user_kern in include/net/ip_vs.h), plain data with no live state.

import { AF_INET, FWD_FULLNAT, FWD_LOCAL, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from './dest.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';

/** Identifies a virtual service: <protocol, addr, port> or a firewall mark (fwmark != 0). */
export interface ServiceKey {
  readonly af: number;
  readonly protocol: number;
  /** IPv4 uint32, host order; 0 for fwmark services. */
  readonly addr: number;
  readonly port: number;
  readonly fwmark: number;
}

export interface ServiceSpec extends ServiceKey {
  readonly schedName: string;
  /** SVC_F_* bits (persistent, one-packet, sched flags). */
  readonly flags: number;
  /** Persistence timeout in seconds (meaningful with SVC_F_PERSISTENT). */
  readonly timeoutSec: number;
  /** Persistence netmask, IPv4 uint32 host order. */
  readonly netmask: number;
  /** --pe persistence engine name; '' = none (tsvs has no engines: any name is ENOENT). */
  readonly peName: string;
}

export interface DestSpec {
  readonly af: number;
  readonly addr: number;
  readonly port: number;
  /** FWD_* forwarding method. */
  readonly fwd: number;
  readonly weight: number;
  readonly uThreshold: number;
  readonly lThreshold: number;
  /** -i only (struct ip_vs_dest_user's tun_type, tun_port, tun_flags): TUN_TYPE_*, 0 = ipip. */
  readonly tunType?: number;
  /** GUE's UDP destination port, 0 for ipip. */
  readonly tunPort?: number;
  /** TUN_F_*: 0 = no checksum. */
  readonly tunFlags?: number;
}

/** A service and its real servers, as -S prints and -R reads them. */
export interface ServiceRule {
  readonly service: ServiceSpec;
  /** In the order they should be added back (the order -S prints them). */
  readonly dests: readonly DestSpec[];
}

/** Persistence timeout when -p has no value (IPVS_SVC_PERSISTENT_TIMEOUT, libipvs.h). */
export const DEFAULT_PERSISTENT_TIMEOUT_SEC = 300;
/** ipvsadm's DEF_SCHED. */
export const DEFAULT_SCHED = 'wlc';

export function serviceKey(af: number, protocol: number, addr: number, port: number, fwmark: number): ServiceKey {
  return { af, protocol, addr: addr >>> 0, port, fwmark };
}

/**
 * A service's identity as a string key (ip_vs_service_find / ip_vs_svc_fwm_find): a firewall-mark
 * service is its family and mark, any other its family, protocol, address and port.
 */
export function serviceIdentity(k: ServiceKey): string {
  return k.fwmark !== 0 ? `f${k.af}/${k.fwmark}` : `${k.af}/${k.protocol}/${k.addr >>> 0}/${k.port}`;
}

/** ip_vs_proto_name() in ip_vs_proto.c, as printed by -L and /proc/net/ip_vs_conn. */
export function protocolName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_TCP:
      return 'TCP';
    case IPPROTO_UDP:
      return 'UDP';
    case IPPROTO_SCTP:
      return 'SCTP';
    default:
      return '?';
  }
}

/** Human-readable service identity for log lines and our own messages. */
export function describeServiceKey(k: ServiceKey): string {
  if (k.fwmark !== 0) return `FWM ${k.fwmark}`;
  return `${protocolName(k.protocol)} ${ipToString(k.addr)}:${k.port}`;
}

/** fwd_name() in ipvsadm.c (plus "FullNat", the label Alibaba's FULLNAT kernel and DPVS use). */
export function fwdName(fwd: number): string {
  switch (fwd) {
    case FWD_MASQ:
      return 'Masq';
    case FWD_LOCAL:
      return 'Local';
    case FWD_TUNNEL:
      return 'Tunnel';
    case FWD_ROUTE:
      return 'Route';
    case FWD_FULLNAT:
      return 'FullNat';
    default:
      return '';
  }
}

export const DEFAULT_AF = AF_INET;
