// Command: one parsed ipvsadm command line (struct ipvs_command_entry plus the options and
// format bits of process_options() in ipvsadm.c).

import type { DestSpec, ServiceSpec } from '../model/rule-spec.ts';

export interface TimeoutsSpec {
  /** --set values; 0 leaves that timeout unchanged (ip_vs_set_timeout()). */
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

/** --start-daemon options (struct ipvs_daemon_t); 0 or '' = not given, the kernel's default. */
export interface DaemonSpec {
  /** --mcast-interface, at most 15 characters (IP_VS_IFNAME_MAXLEN - 1); ipvsadm's default eth0. */
  readonly mcastIfn: string;
  readonly syncid: number;
  readonly syncMaxlen: number;
  /** --mcast-group, IPv4 uint32 host order. */
  readonly mcastGroup: number;
  readonly mcastPort: number;
  readonly mcastTtl: number;
}

export interface Command {
  /** CMD_* of argv-options.ts. */
  readonly cmd: number;
  /** The OPTC_* options given. */
  readonly options: ReadonlySet<number>;
  /** FMT_* bits for listings. */
  readonly format: number;
  readonly svc: ServiceSpec;
  readonly dest: DestSpec;
  readonly timeouts: TimeoutsSpec;
  /** --start-daemon / --stop-daemon state. */
  readonly daemonState: 'master' | 'backup' | null;
  readonly daemon: DaemonSpec;
  /** --tun-type (TUN_TYPE_*), ipip by default. */
  readonly tunType: number;
}

export function hasOption(c: Command, optc: number): boolean {
  return c.options.has(optc);
}
