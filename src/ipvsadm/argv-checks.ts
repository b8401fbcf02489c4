// The checks process_options() of ipvsadm.c (1.31) makes once a command line is read: the
// commands_v_options grid, then per command: a port-zero service must be persistent, one-packet
// scheduling is for UDP, the default scheduler, DR/TUN real servers take the service port,
// tunnel options only with -i, and conflicting listing options.

import { FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT } from '../model/service.ts';
import { IPPROTO_UDP } from '../lib/inet.ts';
import { DEFAULT_SCHED } from '../model/rule-spec.ts';
import * as O from './argv-options.ts';
import { fail } from './argv-exit.ts';
import { checkGrid, checkTunnelGrid } from './argv-grid.ts';

/** The mutable parts of the command entry these checks read and adjust. */
interface SvcDraft {
  af: number;
  fwmark: number;
  port: number;
  flags: number;
  protocol: number;
  schedName: string;
}
interface DestDraft {
  af: number;
  fwd: number;
  port: number;
}

export function checkCommand(
  cmd: number,
  options: ReadonlySet<number>,
  svc: SvcDraft,
  dest: DestDraft,
  tunType: number,
): void {
  checkGrid(cmd, options);

  if (cmd === O.CMD_ADD || cmd === O.CMD_EDIT) {
    if (svc.fwmark === 0 && svc.port === 0 && !(svc.flags & SVC_F_PERSISTENT)) {
      fail(2, 'Zero port specified for non-persistent service');
    }
    if (svc.flags & SVC_F_ONEPACKET && svc.fwmark === 0 && svc.protocol !== IPPROTO_UDP) {
      fail(2, 'One-Packet Scheduling is only for UDP virtual services');
    }
    if (svc.schedName === '') svc.schedName = DEFAULT_SCHED;
  }

  if (cmd === O.CMD_ADDDEST || cmd === O.CMD_EDITDEST) {
    // The destination port must be equal to the service port for tunnel or direct routing
    // (not for fwmark services).
    if (svc.fwmark === 0 && (dest.fwd === FWD_TUNNEL || dest.fwd === FWD_ROUTE)) dest.port = svc.port;
    // Tunneling allows different address family
    if (dest.af !== svc.af && dest.fwd !== FWD_TUNNEL)
      fail(2, 'Different address family is allowed only for tunneling servers');
    const tunOpts = [O.OPTC_TUN_TYPE, O.OPTC_TUN_PORT, O.OPTC_TUN_NOCSUM, O.OPTC_TUN_CSUM, O.OPTC_TUN_REMCSUM];
    if (tunOpts.some((t) => options.has(t)) && dest.fwd !== FWD_TUNNEL)
      fail(2, 'Tunnel options conflict with forward method');
    checkTunnelGrid(tunType, options);
    // tsvs encapsulates in IPIP and GUE over either family (src/datapath/tunnel-*.ts), not in GRE.
    if (tunType === O.TUN_TYPE_GRE) fail(2, "tunnel type `gre' is not supported by tsvs");
  }

  if (cmd === O.CMD_LIST) {
    const has = (optc: number): boolean => options.has(optc);
    if (
      ((has(O.OPTC_CONNECTION) || has(O.OPTC_TIMEOUT) || has(O.OPTC_DAEMON)) &&
        (has(O.OPTC_STATS) || has(O.OPTC_RATE) || has(O.OPTC_THRESHOLDS))) ||
      ((has(O.OPTC_TIMEOUT) || has(O.OPTC_DAEMON)) && has(O.OPTC_PERSISTENTCONN))
    ) {
      fail(2, 'options conflicts in the list command');
    }
  }
}
