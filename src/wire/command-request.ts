// commandToRequest: a parsed set command (-A -E -D -C -a -e -d -Z --set, --start/stop-daemon)
// as a control-socket request, the role of ipvs_add_service() & co. in libipvs.c.

import * as O from '../ipvsadm/argv-options.ts';
import type { Command } from '../ipvsadm/command.ts';
import { destKeyToWire, destSpecToWire, serviceKeyToWire, serviceSpecToWire } from './spec-to-wire.ts';

export interface OpRequest {
  readonly op: string;
  readonly args?: Record<string, unknown>;
}

/** The request for a command that changes state, or null for listings, -S, -R, -h. */
export function commandToRequest(c: Command): OpRequest | null {
  const service = serviceKeyToWire(c.svc);
  switch (c.cmd) {
    case O.CMD_ADD:
      return { op: 'service.add', args: { service: serviceSpecToWire(c.svc) } };
    case O.CMD_EDIT:
      return { op: 'service.edit', args: { service: serviceSpecToWire(c.svc) } };
    case O.CMD_DEL:
      return { op: 'service.del', args: { service } };
    case O.CMD_FLUSH:
      return { op: 'clear' };
    case O.CMD_ADDDEST:
      return { op: 'dest.add', args: { service, dest: destSpecToWire(c.dest) } };
    case O.CMD_EDITDEST:
      return { op: 'dest.edit', args: { service, dest: destSpecToWire(c.dest) } };
    case O.CMD_DELDEST:
      return {
        op: 'dest.del',
        args: { service, dest: destKeyToWire(c.dest.addr, c.dest.port, c.dest.af, c.dest.addr6) },
      };
    case O.CMD_ZERO:
      // ipvs_zero_service() sends no service when none was given: zero them all.
      return c.options.has(O.OPTC_SERVICE) ? { op: 'zero', args: { service } } : { op: 'zero' };
    case O.CMD_TIMEOUT:
      return { op: 'timeouts.set', args: { timeouts: { ...c.timeouts } } };
    case O.CMD_STARTDAEMON:
      return { op: 'daemon.start', args: { state: c.daemonState, ...c.daemon } };
    case O.CMD_STOPDAEMON:
      return { op: 'daemon.stop', args: { state: c.daemonState } };
    default:
      return null;
  }
}
