// `tsvsadm -L --daemon`: print_daemon() of ipvsadm.c (1.31), one line per running sync daemon,
// master first; with --stats (a tsvs extension) the daemon's counters follow on an indented line.

import { TsvsError } from '../lib/errors.ts';
import { ipToString } from '../lib/inet.ts';

function field(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TsvsError('EBADREPLY', `bad daemon ${key}`);
  return v;
}

/** The lines of -L --daemon from the daemon.list reply. */
export function formatDaemons(reply: unknown, stats: boolean): string {
  if (!Array.isArray(reply)) throw new TsvsError('EBADREPLY', 'daemon.list: not an array');
  let out = '';
  for (const d of reply as unknown[]) {
    if (typeof d !== 'object' || d === null) throw new TsvsError('EBADREPLY', 'daemon.list: bad entry');
    const o = d as Record<string, unknown>;
    const state = o['state'];
    const ifn = o['mcastIfn'];
    if ((state !== 'master' && state !== 'backup') || typeof ifn !== 'string')
      throw new TsvsError('EBADREPLY', 'daemon.list: bad entry');
    // "%s sync daemon (mcast=%s, syncid=%d", then the non-zero fields, the group if a family is set.
    let line = `${state} sync daemon (mcast=${ifn}, syncid=${field(o, 'syncid')}`;
    const maxlen = field(o, 'syncMaxlen');
    if (maxlen !== 0) line += `, maxlen=${maxlen}`;
    const group = field(o, 'mcastGroup');
    if (group !== 0) line += `, group=${ipToString(group)}`;
    const port = field(o, 'mcastPort');
    if (port !== 0) line += `, port=${port}`;
    const ttl = field(o, 'mcastTtl');
    if (ttl !== 0) line += `, ttl=${ttl}`;
    out += `${line})\n`;
    const s = o['stats'];
    if (stats && typeof s === 'object' && s !== null) {
      const parts = Object.entries(s as Record<string, unknown>)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]) => `${k}=${String(v)}`);
      out += `  ${parts.join(' ')}\n`;
    }
  }
  return out;
}
