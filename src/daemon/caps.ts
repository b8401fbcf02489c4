// caps: the capabilities the packet engine needs (CAP_NET_RAW for AF_PACKET sockets,
// CAP_NET_ADMIN for the sysctls it sets), checked up front with a one-line fix when missing.

import { readFileSync } from 'node:fs';
import { TsvsError } from '../lib/errors.ts';

const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/** Effective capability bits of this process (CapEff in /proc/self/status), as a bigint. */
function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

export function assertEngineCaps(): void {
  const eff = effectiveCaps();
  const missing: string[] = [];
  if ((eff & (1n << BigInt(CAP_NET_RAW))) === 0n) missing.push('CAP_NET_RAW');
  if ((eff & (1n << BigInt(CAP_NET_ADMIN))) === 0n) missing.push('CAP_NET_ADMIN');
  if (missing.length === 0) return;
  throw new TsvsError(
    'ECAPS',
    `tsvsd needs ${missing.join(' and ')} for its packet engine: run it as root, or grant them with ` +
      `\`setcap cap_net_raw,cap_net_admin+ep ${process.execPath}\`, or in systemd with ` +
      `AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN`,
  );
}
