// The sync daemon's settings: the daemon.start request checked field by field (the attributes
// ip_vs_genl_new_daemon reads: IPVS_DAEMON_ATTR_STATE, MCAST_IFN, SYNC_ID, SYNC_MAXLEN,
// MCAST_GROUP, MCAST_PORT, MCAST_TTL), and the `--start-daemon` lines of tsvsd.conf's [rules]
// that start daemons at boot, as `ipvsadm -R` would run them.

import { TsvsError } from '../lib/errors.ts';
import type { RuleLine } from '../model/rules-format.ts';
import * as O from '../ipvsadm/argv-options.ts';
import { parseArgv } from '../ipvsadm/argv.ts';
import { ArgvExit } from '../ipvsadm/argv-exit.ts';
import { commandToRequest } from '../wire/command-request.ts';
import { asObject } from '../wire/wire-convert.ts';

export type SyncState = 'master' | 'backup';

/** struct ipvs_sync_daemon_cfg as the kernel reports it; 0 / '' in a request = the default. */
export interface SyncDaemonConfig {
  readonly state: SyncState;
  readonly mcastIfn: string;
  readonly syncid: number;
  readonly syncMaxlen: number;
  /** IPv4 uint32 host order. */
  readonly mcastGroup: number;
  readonly mcastPort: number;
  readonly mcastTtl: number;
}

function intField(o: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = o[key] ?? 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || (v !== 0 && (v < min || v > max)))
    throw new TsvsError('EBADREQ', `${key} must be an integer from ${min} to ${max}`);
  return v;
}

/** A daemon.start request's args, validated. */
export function parseSyncRequest(raw: unknown): SyncDaemonConfig {
  const o = asObject(raw, 'args');
  const state = o['state'];
  if (state !== 'master' && state !== 'backup') throw new TsvsError('EBADREQ', 'state must be master or backup');
  const ifn = o['mcastIfn'] ?? '';
  if (typeof ifn !== 'string' || ifn.length > 15 || /[\s/]/.test(ifn))
    throw new TsvsError('EBADREQ', 'mcastIfn must be an interface name of at most 15 characters');
  const group = intField(o, 'mcastGroup', 0, 0xffffffff);
  if (group !== 0 && group >>> 28 !== 0xe)
    throw new TsvsError('EINVAL', 'mcastGroup must be an IPv4 multicast address');
  return {
    state,
    mcastIfn: ifn,
    syncid: intField(o, 'syncid', 0, 255),
    syncMaxlen: intField(o, 'syncMaxlen', 1, 65535 - 28),
    mcastGroup: group >>> 0,
    mcastPort: intField(o, 'mcastPort', 1, 65535),
    mcastTtl: intField(o, 'mcastTtl', 1, 255),
  };
}

/** True for a [rules] line that starts a sync daemon (the rules reconciler leaves them out). */
export function isStartDaemonLine(l: RuleLine): boolean {
  return l.tokens[0] === '--start-daemon';
}

/** The daemon.start args of each `--start-daemon ...` line; ECONFIG naming the line if one is wrong. */
export function startDaemonRequests(path: string, lines: readonly RuleLine[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of lines) {
    if (!isStartDaemonLine(l)) continue;
    try {
      const cmd = parseArgv(l.tokens, { program: 'tsvsadm' });
      const req = commandToRequest(cmd);
      if (cmd.cmd !== O.CMD_STARTDAEMON || req === null || req.args === undefined)
        throw new Error('not --start-daemon');
      out.push(req.args);
    } catch (e) {
      const msg = e instanceof ArgvExit ? e.message.trim() : (e as Error).message;
      throw new TsvsError('ECONFIG', `${path}:${l.line}: ${msg}`);
    }
  }
  return out;
}
