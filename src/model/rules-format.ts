// The ipvsadm rules text: `ipvsadm -S` output (print_service_entry() with FMT_RULE in
// ipvsadm.c) and the line splitting of `ipvsadm -R` (config_stream_read() in config_stream.c).
// The lines themselves are parsed by the command-line parser (src/ipvsadm/argv.ts), as ipvsadm
// feeds each restored line to process_options().

import {
  AF_INET6,
  FWD_FULLNAT,
  FWD_LOCAL,
  FWD_MASQ,
  FWD_ROUTE,
  FWD_TUNNEL,
  TUN_TYPE_GRE,
  TUN_TYPE_GUE,
  TUN_TYPE_IPIP,
} from './dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from './service.ts';
import { SVC_F_SYNPROXY_MASK, synproxyModeOf } from './synproxy-state.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import { addrPortText, type DestSpec, type ServiceRule, type ServiceSpec } from './rule-spec.ts';
import type { Inet6 } from '../lib/inet6.ts';

/** Formats "addr:port" for a rule line: numeric (-S -n) or with names (-S); IPv6 in brackets. */
export type AddrPortNamer = (af: number, addr: number, port: number, protocol: number, addr6?: Inet6) => string;

export const numericNamer: AddrPortNamer = (af, addr, port, _protocol, addr6) => addrPortText(af, addr, addr6, port);

export interface RulesFormatOptions {
  readonly namer?: AddrPortNamer;
  /**
   * tsvs extension for its own rules file: also write -x/-y when set. ipvsadm -S drops
   * thresholds (they are lost on save/restore); our persistence must not lose them.
   */
  readonly thresholds?: boolean;
}

/** option_from_protocol(): -t, -u or --sctp-service. */
function protocolSwitch(protocol: number): string {
  switch (protocol) {
    case IPPROTO_TCP:
      return '-t';
    case IPPROTO_UDP:
      return '-u';
    case IPPROTO_SCTP:
      return '--sctp-service';
    default:
      return '--xxx-service';
  }
}

/** fwd_switch(): -m, -i, -g; full NAT is tsvs's --fullnat (see src/ipvsadm/argv-option-table.ts). */
export function fwdSwitch(fwd: number): string {
  switch (fwd) {
    case FWD_MASQ:
      return '-m';
    case FWD_TUNNEL:
      return '-i';
    case FWD_LOCAL:
    case FWD_ROUTE:
      return '-g';
    case FWD_FULLNAT:
      return '--fullnat';
    default:
      return '(null)';
  }
}

/** print_sched_flags(): names depend on the scheduler (sh-*, mh-*, else flag-N). */
export function schedFlagsText(schedName: string, flags: number): string {
  const out: string[] = [];
  if (schedName === 'sh' || schedName === 'mh') {
    if (flags & SVC_F_SCHED1) out.push(`${schedName}-fallback`);
    if (flags & SVC_F_SCHED2) out.push(`${schedName}-port`);
  } else {
    if (flags & SVC_F_SCHED1) out.push('flag-1');
    if (flags & SVC_F_SCHED2) out.push('flag-2');
    if (flags & SVC_F_SCHED3) out.push('flag-3');
  }
  return out.join(',');
}

/** svc_name with FMT_RULE: "-t 192.168.88.5:80", "-t [2001:db8::5]:80", "-f 1" or "-f 1 -6". */
export function serviceRuleName(s: ServiceSpec, namer: AddrPortNamer): string {
  if (s.fwmark !== 0) return s.af === AF_INET6 ? `-f ${s.fwmark} -6` : `-f ${s.fwmark}`;
  return `${protocolSwitch(s.protocol)} ${namer(s.af, s.addr, s.port, s.protocol, s.addr6)}`;
}

/** `-A <svc> -s <sched>[ -p N[ -M mask]][ --pe pe][ -o][ -b flags]` */
export function formatServiceLine(s: ServiceSpec, namer: AddrPortNamer = numericNamer): string {
  let line = `-A ${serviceRuleName(s, namer)} -s ${s.schedName}`;
  if (s.flags & SVC_F_PERSISTENT) {
    line += ` -p ${s.timeoutSec}`;
    // " -M %s" of inet_ntoa() for IPv4, " -M %i" (the prefix length) for IPv6.
    if (s.af === AF_INET6) {
      if (s.netmask !== 128) line += ` -M ${s.netmask}`;
    } else if (s.netmask >>> 0 !== 0xffffffff) line += ` -M ${ipToString(s.netmask)}`;
  }
  if (s.peName !== '') line += ` --pe ${s.peName}`;
  if (s.flags & SVC_F_ONEPACKET) line += ' -o';
  if (s.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3)) line += ` -b ${schedFlagsText(s.schedName, s.flags)}`;
  // tsvs extension (synproxy-state.ts): written only when not the default, so plain rules stay ipvsadm's.
  if (s.flags & SVC_F_SYNPROXY_MASK) line += ` --synproxy ${synproxyModeOf(s.flags)}`;
  return line;
}

/** ipvsadm's tunnames[], tunflags[] and tun_flags_opts[], indexed by tun_type and tun_flags. */
export const TUN_NAMES: readonly string[] = ['ipip', 'gue', 'gre'];
export const TUN_FLAG_NAMES: readonly string[] = ['-c', '+c', 'r+c'];
export const TUN_FLAG_OPTS: readonly string[] = ['--tun-nocsum', '--tun-csum', '--tun-remcsum'];

/** fwd_tun_info(): the TunnelInfo column of -L --tun-info ("ipip", "gue:6080:-c", "gre:+c", else "n/a"). */
export function tunInfoText(fwd: number, tunType: number, tunPort: number, tunFlags: number): string {
  if (fwd !== FWD_TUNNEL) return 'n/a';
  if (tunType === TUN_TYPE_IPIP) return 'ipip';
  if (tunType === TUN_TYPE_GUE) return `gue:${tunPort}:${TUN_FLAG_NAMES[tunFlags] ?? '(null)'}`;
  if (tunType === TUN_TYPE_GRE) return `gre:${TUN_FLAG_NAMES[tunFlags] ?? '(null)'}`;
  return 'n/a';
}

/** print_tunnel_rule(): what follows `-w N` on a tunnel's -S line. */
function tunnelRuleTail(d: DestSpec): string {
  const type = d.tunType ?? TUN_TYPE_IPIP;
  const flags = TUN_FLAG_OPTS[d.tunFlags ?? 0] ?? '(null)';
  if (type === TUN_TYPE_GUE) return ` --tun-type gue --tun-port ${d.tunPort ?? 0} ${flags}`;
  if (type === TUN_TYPE_GRE) return ` --tun-type gre ${flags}`;
  if (type === TUN_TYPE_IPIP) return ' --tun-type ipip';
  return '';
}

/** `-a <svc> -r <dest> <fwd> -w <weight>`, and the tunnel options for -i (print_tunnel_rule()). */
export function formatDestLine(s: ServiceSpec, d: DestSpec, opts: RulesFormatOptions = {}): string {
  const namer = opts.namer ?? numericNamer;
  const dname = namer(d.af, d.addr, d.port, s.protocol, d.addr6);
  let line = `-a ${serviceRuleName(s, namer)} -r ${dname} ${fwdSwitch(d.fwd)} -w ${d.weight}`;
  if (d.fwd === FWD_TUNNEL) line += tunnelRuleTail(d);
  if (opts.thresholds === true) {
    if (d.uThreshold !== 0) line += ` -x ${d.uThreshold}`;
    if (d.lThreshold !== 0) line += ` -y ${d.lThreshold}`;
  }
  return line;
}

/** The whole -S text for rules in the order given, one "\n"-terminated line per rule. */
export function formatRules(rules: readonly ServiceRule[], opts: RulesFormatOptions = {}): string {
  let out = '';
  for (const r of rules) {
    out += formatServiceLine(r.service, opts.namer) + '\n';
    for (const d of r.dests) out += formatDestLine(r.service, d, opts) + '\n';
  }
  return out;
}

/** `--set tcp tcpfin udp`, a line -R accepts. */
export function formatTimeoutsLine(tcp: number, tcpFin: number, udp: number): string {
  return `--set ${tcp} ${tcpFin} ${udp}`;
}

/** One restorable line: 1-based line number and its tokens (argv without argv[0]). */
export interface RuleLine {
  readonly line: number;
  readonly tokens: readonly string[];
}

/**
 * config_stream_read(): split each line on blanks, drop every "ipvsadm" token and skip lines
 * left empty. Also drops a leading "tsvsadm" and, as config_stream.c's comment promises (its
 * code never manages it), everything from a '#' on.
 */
export function splitRuleLines(text: string): RuleLine[] {
  const out: RuleLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i]!;
    const hash = raw.indexOf('#');
    if (hash >= 0) raw = raw.slice(0, hash);
    const tokens = raw.split(/[ \t\r]+/).filter((t) => t.length > 0 && t !== 'ipvsadm');
    if (tokens[0] === 'tsvsadm') tokens.shift();
    if (tokens.length > 0) out.push({ line: i + 1, tokens });
  }
  return out;
}

/** A rules text that cannot be restored, and the 1-based line at fault. */
export class RuleLineError extends Error {
  readonly line: number;
  /** Stable error code of the underlying failure (usage error, ESRCH, ...). */
  readonly code: string;

  constructor(line: number, message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuleLineError';
    this.line = line;
    this.code = code;
  }
}
