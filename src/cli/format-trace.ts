// formatTrace: a rewrite trace event as a line a student can follow, e.g.
//   IN  192.168.88.10:51234 > 192.168.88.5:80 SYN  => 192.168.88.10:51234 > 192.168.99.100:80 (new, wrr -> web1)
//   OUT 192.168.99.100:80 > 192.168.88.10:51234 SYN,ACK  => 192.168.88.5:80 > 192.168.88.10:51234 (SYN_RECV)

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
  /** "web1" for 192.168.99.100:80, or undefined. */
  host?: (addr: number) => string | undefined;
  /** Scheduler name of the service a new connection was scheduled by. */
  sched?: (vaddr: number, vport: number, protocol: number) => string | undefined;
}

function ep(addr: number, port: number): string {
  return `${ipToString(addr)}:${port}`;
}

export function formatTrace(e: TraceEvent, names: TraceNames = {}): string {
  const tcp = e.protocol === IPPROTO_TCP;
  const what = tcp ? tcpFlagsText(e.tcpFlags) : 'UDP';
  const before = `${ep(e.saddr, e.sport)} > ${ep(e.daddr, e.dport)} ${what}`;
  if (e.kind === TR_DROP) return `DROP ${before}  (${DROP_NAMES[e.detail] ?? e.detail})`;
  if (e.kind === TR_LOCAL) return `LOCAL ${before}`;
  const after = `${ep(e.nsaddr, e.nsport)} > ${ep(e.ndaddr, e.ndport)}`;
  const state = tcp ? tcpStateName(e.detail) : 'UDP';
  const host = names.host?.(e.destAddr) ?? ipToString(e.destAddr);
  const notes: string[] = [];
  if ((e.flags & TR_F_NEW) !== 0) {
    const sched = names.sched?.(e.daddr, e.dport, e.protocol);
    notes.push(sched === undefined ? `new -> ${host}` : `new, ${sched} -> ${host}`);
  } else if (e.kind === TR_IN) notes.push(`-> ${host}`);
  else notes.push(`from ${host}`);
  if ((e.flags & TR_F_FULLNAT) !== 0) notes.push('full NAT');
  notes.push(state);
  const dir = e.kind === TR_IN ? 'IN ' : e.kind === TR_OUT ? 'OUT' : '?  ';
  return `${dir} ${before}  => ${after} (${notes.join(', ')})`;
}
