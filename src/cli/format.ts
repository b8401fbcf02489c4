// Byte-exact ipvsadm listings from wire structs: list_all(), list_service(), print_title() and
// print_service_entry() of ipvsadm.c (1.31), for -L/-l with -n, --stats, --rate, --exact,
// --thresholds, --persistent-conn, --tun-info, --nosort, and -S. Each printf format is quoted
// beside the code that renders it.

import { SVC_F_SYNPROXY_ALWAYS } from '../model/synproxy-state.ts';
import {
  FMT_NOSORT,
  FMT_NUMERIC,
  FMT_PERSISTENTCONN,
  FMT_RATE,
  FMT_RULE,
  FMT_STATS,
  FMT_THRESHOLDS,
  FMT_TUN_INFO,
} from '../ipvsadm/argv-options.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { addrText, fwdName, protocolName } from '../model/rule-spec.ts';
import { AF_INET6 } from '../model/dest.ts';
import { ipToString, parseDottedQuad } from '../lib/inet.ts';
import {
  formatDestLine,
  formatServiceLine,
  schedFlagsText,
  tunInfoText,
  type AddrPortNamer,
} from '../model/rules-format.ts';
import { fwdFromWire, infoToRule } from '../wire/wire-convert.ts';
import { cmpDests, cmpServices } from './format-sort.ts';
import { padLeft, padRight, printLargenum, u64 } from './format-numbers.ts';
import { NUMERIC_NAMES, type Names } from './names.ts';
import type { DaemonInfo, DestInfo, ListResult, ServiceInfo } from '../wire/wire.ts';

/** "IP Virtual Server version %d.%d.%d (size=%d)\n" */
export function versionLine(info: DaemonInfo): string {
  return `IP Virtual Server version ${info.ipvsVersion} (size=${info.connTableSize})\n`;
}

/** print_title(). */
export function formatTitle(format: number): string {
  const svcCol = padRight('Prot LocalAddress:Port', 33);
  if (format & FMT_STATS) {
    // "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n"
    return `${svcCol} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((h) => padLeft(h, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_RATE) {
    return `${svcCol} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((h) => padLeft(h, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_THRESHOLDS) {
    // "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n"
    return `${svcCol} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((h) => padRight(h, 10)).join(' ')}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_PERSISTENTCONN) {
    // "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n"
    return `${svcCol} ${padRight('Weight', 9)} ${padRight('PersistConn', 11)} ${padRight('ActiveConn', 10)} ${padRight('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  }
  if (format & FMT_TUN_INFO) {
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  }
  if (format & FMT_RULE) return '';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

function namesFor(format: number, names: Names): Names {
  return format & FMT_NUMERIC ? NUMERIC_NAMES : names;
}

/**
 * svc_name of print_service_entry() without FMT_RULE: "%-4s %s" cut at 33 for IPv4 only
 * (svc_name[33] = '\0' when se->af != AF_INET6), or "FWM  %u" / "FWM  %u IPv6".
 */
function serviceName(s: ServiceInfo, names: Names): string {
  if (s.fwmark !== 0) return s.af === AF_INET6 ? `FWM  ${s.fwmark} IPv6` : `FWM  ${s.fwmark}`;
  const vname = names.addrPort(s.addr, s.port, s.protocol);
  const name = `${padRight(protocolName(s.protocol), 4)} ${vname}`;
  return s.af === AF_INET6 ? name : name.slice(0, 33);
}

/** The service line: "%s %s" plus " (flags)", " persistent %u", " mask %s", " ops". */
function serviceLine(s: ServiceInfo, format: number, names: Names): string {
  const svcName = serviceName(s, names);
  if (format & FMT_STATS) {
    const st = s.stats;
    return (
      padRight(svcName, 33) +
      [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map((n) => printLargenum(n, format)).join('') +
      '\n'
    );
  }
  if (format & FMT_RATE) {
    const r = s.rates;
    return (
      padRight(svcName, 33) +
      [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map((n) => printLargenum(n, format)).join('') +
      '\n'
    );
  }
  let line = `${svcName} ${s.sched}`;
  if (s.flags & (SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3)) line += ` (${schedFlagsText(s.sched, s.flags)})`;
  if (s.flags & SVC_F_PERSISTENT) {
    line += ` persistent ${s.timeout}`;
    if (s.af === AF_INET6) {
      // " mask %i": the prefix length, printed unless 128.
      if (s.netmask !== '128') line += ` mask ${s.netmask}`;
    } else {
      const mask = parseDottedQuad(s.netmask) ?? 0xffffffff;
      if (mask !== 0xffffffff) line += ` mask ${ipToString(mask)}`;
    }
    if (s.pe !== '') line += ` pe ${s.pe}`;
  }
  if (s.flags & SVC_F_ONEPACKET) line += ' ops';
  // tsvs extension: only `always` shows; auto (the default) and never print exactly as ipvsadm.
  if (s.flags & SVC_F_SYNPROXY_ALWAYS) line += ' synproxy';
  return line + '\n';
}

/** One real-server line; dname is cut at 28 characters unless IPv6 (dname[28] = '\0' for e->af != AF_INET6). */
function destLine(s: ServiceInfo, d: DestInfo, format: number, names: Names): string {
  const full = names.addrPort(d.addr, d.port, s.protocol);
  const dname = padRight(d.af === AF_INET6 ? full : full.slice(0, 28), 28);
  const fwd = fwdName(fwdFromWire(d.fwd));
  if (format & FMT_STATS) {
    const st = d.stats;
    return (
      `  -> ${dname}` +
      [st.conns, st.inPkts, st.outPkts, st.inBytes, st.outBytes].map((n) => printLargenum(n, format)).join('') +
      '\n'
    );
  }
  if (format & FMT_RATE) {
    // "  -> %-28s %8llu %8llu %8llu" then print_largenum() for the two byte rates
    const r = d.rates;
    return (
      `  -> ${dname} ${padLeft(u64(r.cps), 8)} ${padLeft(u64(r.inPps), 8)} ${padLeft(u64(r.outPps), 8)}` +
      printLargenum(r.inBps, format) +
      printLargenum(r.outBps, format) +
      '\n'
    );
  }
  if (format & FMT_THRESHOLDS) {
    // "  -> %-28s %-10u %-10u %-10u %-10u\n"
    return `  -> ${dname} ${[d.uThreshold, d.lThreshold, d.activeConns, d.inactConns].map((n) => padRight(u64(n), 10)).join(' ')}\n`;
  }
  if (format & FMT_PERSISTENTCONN) {
    // "  -> %-28s %-9u %-11u %-10u %-10u\n"
    return `  -> ${dname} ${padRight(u64(d.weight), 9)} ${padRight(u64(d.persistConns), 11)} ${padRight(u64(d.activeConns), 10)} ${padRight(u64(d.inactConns), 10)}\n`;
  }
  if (format & FMT_TUN_INFO) {
    // "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n" with fwd_tun_info()
    const ti = tunInfoText(fwdFromWire(d.fwd), d.tunType ?? 0, d.tunPort ?? 0, d.tunFlags ?? 0);
    return `  -> ${dname} ${padRight(fwd, 7)} ${padRight(ti, 13)} ${padRight(String(d.weight), 6)} ${padRight(u64(d.activeConns), 10)} ${padRight(u64(d.inactConns), 10)}\n`;
  }
  // "  -> %-28s %-7s %-6d %-10u %-10u\n"
  return `  -> ${dname} ${padRight(fwd, 7)} ${padRight(String(d.weight), 6)} ${padRight(u64(d.activeConns), 10)} ${padRight(u64(d.inactConns), 10)}\n`;
}

function sortedDests(s: ServiceInfo, format: number): readonly DestInfo[] {
  return format & FMT_NOSORT ? s.dests : [...s.dests].sort(cmpDests);
}

/** print_service_entry() without FMT_RULE. */
export function formatServiceEntry(s: ServiceInfo, format: number, names: Names = NUMERIC_NAMES): string {
  const n = namesFor(format, names);
  let out = serviceLine(s, format, n);
  for (const d of sortedDests(s, format)) out += destLine(s, d, format, n);
  return out;
}

/** list_all(): version line, title, every service (sorted unless --nosort). */
export function formatListAll(res: ListResult, format: number, names: Names = NUMERIC_NAMES): string {
  if (format & FMT_RULE) return formatSave(res.services, format, names);
  const services = format & FMT_NOSORT ? res.services : [...res.services].sort(cmpServices);
  let out = versionLine(res.info) + formatTitle(format);
  for (const s of services) out += formatServiceEntry(s, format, names);
  return out;
}

/** list_service() for -L -t/-u/-f: title and that one service, no version line. */
export function formatListService(s: ServiceInfo, format: number, names: Names = NUMERIC_NAMES): string {
  return formatTitle(format) + formatServiceEntry(s, format, names);
}

/** -S [-n]: print_service_entry() with FMT_RULE, services and dests sorted. */
export function formatSave(services: readonly ServiceInfo[], format: number, names: Names = NUMERIC_NAMES): string {
  const n = namesFor(format, names);
  const namer: AddrPortNamer = (af, addr, port, protocol, addr6) =>
    n.addrPort(addrText(af, addr, addr6), port, protocol);
  let out = '';
  for (const s of [...services].sort(cmpServices)) {
    const rule = infoToRule({ ...s, dests: [...s.dests].sort(cmpDests) });
    out += formatServiceLine(rule.service, namer) + '\n';
    for (const d of rule.dests) out += formatDestLine(rule.service, d, { namer }) + '\n';
  }
  return out;
}
