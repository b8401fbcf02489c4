// tsvsadm --vrrp-state [master|backup|fault|stop]: the director's VRRP role as keepalived set it
// (src/daemon/vrrp-state.ts). Without a state it prints the role; with one it sets it, which is
// what keepalived's notify_master / notify_backup / notify_fault / notify_stop scripts run
// (keepalived/vrrp/vrrp_notify.c runs them with their configured arguments only). A tsvs
// extension: kernel IPVS has no such switch, keepalived adds and removes the VIPs itself.

import type { ControlClient } from '../wire/client.ts';
import { EXIT_FAILURE, EXIT_OK, PROGRAM, type CliIo } from './cli-report.ts';

export const VRRP_STATE_FLAG = '--vrrp-state';

const STATES = ['master', 'backup', 'fault', 'stop'];

export interface VrrpStateReply {
  state: string;
  managed: boolean;
  addresses: string[];
  answering: boolean;
  sinceMs: number;
  transitions: number;
  previous: string | null;
}

/** The role in two lines, e.g. `VRRP state MASTER (...)` and the owned addresses' status. */
export function formatVrrpState(r: VrrpStateReply): string {
  const origin = r.managed
    ? `${r.transitions} change${r.transitions === 1 ? '' : 's'}, since ${new Date(r.sinceMs).toISOString()}${r.previous === null ? '' : `, was ${r.previous}`}`
    : 'standalone: no vrrp-state configured nor set';
  const addrs = r.addresses.length === 0 ? '(none)' : r.addresses.join(' ');
  return `VRRP state ${r.state} (${origin})\nowned addresses ${addrs}: ${r.answering ? 'answered (ARP, ping, connections)' : 'held silent'}\n`;
}

/** Whether argv is a --vrrp-state command (with at most one word after it). */
export function isVrrpStateCommand(argv: readonly string[]): boolean {
  return argv[0] === VRRP_STATE_FLAG && argv.length <= 2;
}

/** The usage error of `--vrrp-state WORD` when WORD is no state, else null (checked before connecting). */
export function vrrpStateUsageError(args: readonly string[]): string | null {
  const want = args[0];
  if (want === undefined || STATES.includes(want.toLowerCase())) return null;
  return `${PROGRAM}: ${VRRP_STATE_FLAG} takes master, backup, fault or stop, not ${want}\n`;
}

export async function runVrrpState(
  c: ControlClient,
  io: Pick<CliIo, 'stdout' | 'stderr'>,
  args: readonly string[],
): Promise<number> {
  const want = args[0];
  let r: VrrpStateReply;
  try {
    r = await c.request<VrrpStateReply>('vrrp.state', want === undefined ? {} : { state: want });
  } catch (e) {
    if ((e as { code?: string }).code === 'EBADOP') {
      io.stderr(`${PROGRAM}: tsvsd runs no packet engine, so it owns no address to take over\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
  io.stdout(formatVrrpState(r));
  return EXIT_OK;
}
