// The [daemon] settings that open the control socket to an operators' group:
//
//   [daemon]
//   socket-group tsvs        # the socket's group (a name from /etc/group, or a number)
//   socket-mode 0660         # the socket's mode, octal (default 0660 with a group, else 0600)
//
// Members of the group may then run tsvsadm without root. The socket's directory, when tsvsd
// made it, gets the same group and mode 0750 so that they can reach the socket.

import { readFileSync } from 'node:fs';
import { TsvsError } from '../lib/errors.ts';

export interface SocketAccess {
  /** Group name or number as written. */
  readonly group?: string;
  /** Permission bits of the socket. */
  readonly mode?: number;
}

export const SOCKET_ACCESS_KEYS = ['socket-group', 'socket-mode'] as const;

export function isSocketAccessKey(key: string): boolean {
  return (SOCKET_ACCESS_KEYS as readonly string[]).includes(key);
}

/** Adds one socket-group / socket-mode setting; `fail` builds the file:line error. */
export function parseSocketAccess(
  acc: SocketAccess | undefined,
  key: string,
  val: string,
  fail: (msg: string) => Error,
): SocketAccess {
  if (key === 'socket-group') {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*\$?$|^\d+$/.test(val)) throw fail(`socket-group: not a group name: ${val}`);
    return { ...acc, group: val };
  }
  const m = /^0?([0-7]{3})$/.exec(val);
  const mode = m === null ? NaN : parseInt(m[1]!, 8);
  if (!((mode & 0o600) === 0o600)) throw fail('socket-mode must be octal permission bits with owner rw, e.g. 0660');
  if ((mode & 0o111) !== 0) throw fail('socket-mode must not have execute bits (a socket needs rw), e.g. 0660');
  return { ...acc, mode };
}

/** getgrnam(3) from an /etc/group file: the gid of a name, or of a number as it is. */
export function resolveGroup(group: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (e) {
    throw new TsvsError('ECONFIG', `socket-group ${group}: cannot read ${groupFile}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new TsvsError('ECONFIG', `socket-group ${group}: no such group in ${groupFile}`);
}
