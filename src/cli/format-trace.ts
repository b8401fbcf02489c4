// formatTrace: a rewrite trace event as a line a student can follow, e.g.
//   IN  192.168.88.10:51234 > 192.168.88.5:80 SYN  => 192.168.88.10:51234 > 192.168.99.100:80 (new, wrr -> web1)
//   OUT 192.168.99.100:80 > 192.168.88.10:51234 SYN,ACK  => 192.168.88.5:80 > 192.168.88.10:51234 (SYN_RECV)
// and IPv6 endpoints in ipvsadm's brackets: [2001:db8:88::10]:51234 > [2001:db8:88::5]:80.

import { DROP_NAMES } from '../lib/drops.ts';
import { ipToString, IPPROTO_TCP } from '../lib/inet.ts';
import { tcpStateName } from '../conn/proto-tcp.ts';
import { TR_DROP, TR_F_FULLNAT, TR_F_NEW, TR_IN, TR_LOCAL, TR_OUT, type TraceEvent } from '../datapath/trace.ts';

const FLAG_NAMES: readonly [number, string][] = [
  [0x02, 'SYN'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x08, 'PSH'],
  [0x10, 'ACK'],
];

export function tcpFlagsText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.length > 0 ? names.join(',') : '-';
}

export interface TraceNames {
  /** "web1" for 192.168.99.100 (an IPv4 address as a number, IPv6 as inet_ntop text), or undefined. */
  host?: (addr: number | string) => string | undefined;
  /** Scheduler name of the service a new connection was scheduled by. */
  sched?: (vaddr: number | string, vport: number, protocol: number) => string | undefined;
}

/** The event's addresses as text, and as the names callbacks take them. */
function addrs(e: TraceEvent): {
  s: string;
  d: string;
  ns: string;
  nd: string;
  dest: number | string;
  vaddr: number | string;
} {
  const a = e.addr6;
  if (a === undefined) {
    return {
      s: ipToString(e.saddr),
      d: ipToString(e.daddr),
      ns: ipToString(e.nsaddr),
      nd: ipToString(e.ndaddr),
      dest: e.destAddr,
      vaddr: e.daddr,
    };
  }
  const b = (x: string) => `[${x}]`;
  return { s: b(a.saddr), d: b(a.daddr), ns: b(a.nsaddr), nd: b(a.ndaddr), dest: a.destAddr, vaddr: a.daddr };
}

export function formatTrace(e: TraceEvent, names: TraceNames = {}): string {
  const tcp = e.protocol === IPPROTO_TCP;
  const what = tcp ? tcpFlagsText(e.tcpFlags) : 'UDP';
  const a = addrs(e);
  const before = `${a.s}:${e.sport} > ${a.d}:${e.dport} ${what}`;
  if (e.kind === TR_DROP) return `DROP ${before}  (${DROP_NAMES[e.detail] ?? e.detail})`;
  if (e.kind === TR_LOCAL) return `LOCAL ${before}`;
  const after = `${a.ns}:${e.nsport} > ${a.nd}:${e.ndport}`;
  const state = tcp ? tcpStateName(e.detail) : 'UDP';
  const host = names.host?.(a.dest) ?? (typeof a.dest === 'number' ? ipToString(a.dest) : a.dest);
  const notes: string[] = [];
  if ((e.flags & TR_F_NEW) !== 0) {
    const sched = names.sched?.(a.vaddr, e.dport, e.protocol);
    notes.push(sched === undefined ? `new -> ${host}` : `new, ${sched} -> ${host}`);
  } else if (e.kind === TR_IN) notes.push(`-> ${host}`);
  else notes.push(`from ${host}`);
  if ((e.flags & TR_F_FULLNAT) !== 0) notes.push('full NAT');
  notes.push(state);
  const dir = e.kind === TR_IN ? 'IN ' : e.kind === TR_OUT ? 'OUT' : '?  ';
  return `${dir} ${before}  => ${after} (${notes.join(', ')})`;
}
