// Byte-exact -Lc and --timeout output: list_conn() / print_conn() and list_timeout() of
// ipvsadm.c, which reformat /proc/net/ip_vs_conn and the GET_CONFIG reply.

import { FMT_NUMERIC, FMT_PERSISTENTCONN } from '../ipvsadm/argv-options.ts';
import { padRight } from './format-numbers.ts';
import { NUMERIC_NAMES, protocolFromName, type Names } from './names.ts';
import type { ConnInfo, Timeouts } from '../wire/wire.ts';

/** list_conn() header: "pro expire %-11s %-18s %-18s %s\n" (with --persistent-conn two more columns). */
export function formatConnTitle(format: number): string {
  let out = 'IPVS connection entries\n';
  if (format & FMT_PERSISTENTCONN) {
    // "pro expire %-11s %-18s %-18s %-18s %-16s %s\n"
    out += `pro expire ${padRight('state', 11)} ${padRight('source', 18)} ${padRight('virtual', 18)} ${padRight('destination', 18)} ${padRight('pe name', 16)} pe_data\n`;
  } else {
    out += `pro expire ${padRight('state', 11)} ${padRight('source', 18)} ${padRight('virtual', 18)} destination\n`;
  }
  return out;
}

/** expire_str: "%02d:%02d" of minutes and seconds. */
export function expireText(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * print_conn(): "%-3s %-6s %-11s %-18s %-18s %s\n". tsvs has no persistence engines, so rows
 * never carry pe_name/pe_data and keep this form even with --persistent-conn, as in ipvsadm.
 */
export function formatConnRow(c: ConnInfo, format: number, names: Names = NUMERIC_NAMES): string {
  const n = format & FMT_NUMERIC ? NUMERIC_NAMES : names;
  const proto = protocolFromName(c.protocol);
  const cname = n.addrPort(c.caddr, c.cport, proto);
  const vname = n.addrPort(c.vaddr, c.vport, proto);
  const dname = n.addrPort(c.daddr, c.dport, proto);
  return `${padRight(c.protocol, 3)} ${padRight(expireText(c.expireSec), 6)} ${padRight(c.state, 11)} ${padRight(cname, 18)} ${padRight(vname, 18)} ${dname}\n`;
}

export function formatConns(conns: readonly ConnInfo[], format: number, names: Names = NUMERIC_NAMES): string {
  let out = formatConnTitle(format);
  for (const c of conns) out += formatConnRow(c, format, names);
  return out;
}

/** list_timeout(): "Timeout (tcp tcpfin udp): %d %d %d\n". */
export function formatTimeouts(t: Timeouts): string {
  return `Timeout (tcp tcpfin udp): ${t.tcp} ${t.tcpFin} ${t.udp}\n`;
}
