// argv-option: one option of an ipvsadm command line applied to the command entry, each value
// checked as it is read, as the switch of parse_options() in ipvsadm.c (1.31) does (fail(2, ...)).

import { AF_INET, AF_INET6, FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT } from '../model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import * as O from './argv-options.ts';
import * as T from './argv-option-table.ts';
import { fail } from './argv-exit.ts';
import type { ServicesDb } from './services-db.ts';
import {
  parseFwmark,
  parseNetmask,
  parseNetmask6,
  parseService,
  parseTimeout,
  parseTunType,
  stringToNumber,
  SERVICE_ADDR,
  type HostTable,
} from './argv-values.ts';
import { setOption, type ArgvDraft } from './argv-draft.ts';
import { applyDaemonOption } from './argv-daemon-option.ts';

function optionToProtocol(tag: number): number {
  return tag === T.tag('t') ? IPPROTO_TCP : IPPROTO_UDP;
}

/** Options that only set their bit (and a format flag): the plain cases of the switch. */
const FLAG_OPTIONS = new Map<number, readonly [number, number]>([
  [T.tag('c'), [O.OPTC_CONNECTION, 0]],
  [T.tag('n'), [O.OPTC_NUMERIC, O.FMT_NUMERIC]],
  [T.TAG_TIMEOUT, [O.OPTC_TIMEOUT, 0]],
  [T.TAG_DAEMON, [O.OPTC_DAEMON, 0]],
  [T.TAG_STATS, [O.OPTC_STATS, O.FMT_STATS]],
  [T.TAG_RATE, [O.OPTC_RATE, O.FMT_RATE]],
  [T.TAG_THRESHOLDS, [O.OPTC_THRESHOLDS, O.FMT_THRESHOLDS]],
  [T.TAG_PERSISTENTCONN, [O.OPTC_PERSISTENTCONN, O.FMT_PERSISTENTCONN]],
  [T.TAG_NO_SORT, [O.OPTC_NOSORT, O.FMT_NOSORT]],
  [T.tag('X'), [O.OPTC_EXACT, O.FMT_EXACT]],
  [T.TAG_TUN_INFO, [O.OPTC_TUN_INFO, O.FMT_TUN_INFO]],
]);

/**
 * Apply one option (its popt tag and argument) to d; false for an option that is not one of a
 * command's, i.e. a second command, or -h or -v after the command.
 */
export function applyOption(
  d: ArgvDraft,
  tag: number,
  rawArg: string | null,
  hosts: HostTable,
  services: ServicesDb,
): boolean {
  const arg = rawArg ?? '';
  const flag = FLAG_OPTIONS.get(tag);
  if (flag !== undefined) {
    setOption(d, flag[0]);
    d.format |= flag[1];
    return true;
  }
  switch (tag) {
    case T.TAG_SCTP_SERVICE:
      // ipvsadm takes SCTP services; the tsvs data path has no SCTP state machine
      // (ip_vs_proto_sctp.c), so one would be listed and never forwarded: refuse it.
      fail(2, 'SCTP services are not supported by tsvs');
      break;
    case T.tag('t'):
    case T.tag('u'): {
      setOption(d, O.OPTC_SERVICE);
      d.svc.protocol = optionToProtocol(tag);
      const p = parseService(arg, d.svc.protocol, d.svc.port, hosts, services);
      // parse_service() fills ce->svc itself: family, address, port, and netmask 128 for IPv6.
      if (p.result !== 0) {
        d.svc.af = p.af;
        d.svc.addr = p.addr;
        if (p.addr6 !== undefined) {
          d.svc.addr6 = p.addr6;
          d.svc.netmask = 128;
        } else delete d.svc.addr6;
        d.svc.port = p.port;
      }
      if (!(p.result & SERVICE_ADDR)) fail(2, 'illegal virtual server address[:port] specified');
      break;
    }
    case T.tag('f'):
      setOption(d, O.OPTC_SERVICE);
      // "Set protocol to a sane values, even though it is not used"
      d.svc.af = AF_INET;
      d.svc.protocol = IPPROTO_TCP;
      d.svc.fwmark = parseFwmark(arg);
      break;
    case T.tag('s'):
      setOption(d, O.OPTC_SCHEDULER);
      d.svc.schedName = arg.slice(0, 15); // IP_VS_SCHEDNAME_MAXLEN - 1
      break;
    case T.tag('p'):
      setOption(d, O.OPTC_PERSISTENT);
      d.svc.flags |= SVC_F_PERSISTENT;
      d.svc.timeoutSec = parseTimeout(rawArg, 1, O.MAX_TIMEOUT);
      break;
    case T.tag('M'): {
      setOption(d, O.OPTC_NETMASK);
      if (d.svc.af === AF_INET6) {
        d.svc.netmask = parseNetmask6(arg);
        break;
      }
      const m = parseNetmask(arg, hosts);
      if (m === null) fail(2, 'illegal virtual server persistent mask specified');
      d.svc.netmask = m;
      break;
    }
    case T.tag('r'): {
      setOption(d, O.OPTC_SERVER);
      const p = parseService(arg, d.svc.protocol, d.svc.port, hosts, services);
      // ipvsadm parses into a copy of ce->svc (t_dest), so a failed parse leaves the
      // service's family and address there; those are then failed on just below.
      d.dest.af = p.result !== 0 ? p.af : d.svc.af;
      d.dest.addr = p.result !== 0 ? p.addr : d.svc.addr;
      if (p.addr6 !== undefined) d.dest.addr6 = p.addr6;
      else delete d.dest.addr6;
      d.dest.port = p.port;
      if (!(p.result & SERVICE_ADDR)) fail(2, 'illegal real server address[:port] specified');
      // copy vport to dport if not specified
      if (p.result === SERVICE_ADDR) d.dest.port = d.svc.port;
      break;
    }
    case T.tag('i'):
      setOption(d, O.OPTC_FORWARD);
      d.dest.fwd = FWD_TUNNEL;
      break;
    case T.tag('g'):
      setOption(d, O.OPTC_FORWARD);
      d.dest.fwd = FWD_ROUTE;
      break;
    case T.tag('m'):
      setOption(d, O.OPTC_FORWARD);
      d.dest.fwd = FWD_MASQ;
      break;
    case T.tag('F'):
      setOption(d, O.OPTC_FORWARD);
      d.dest.fwd = FWD_FULLNAT;
      break;
    case T.tag('w'):
      setOption(d, O.OPTC_WEIGHT);
      if ((d.dest.weight = stringToNumber(arg, 0, 65535)) === -1) fail(2, 'illegal weight specified');
      break;
    case T.tag('x'):
      setOption(d, O.OPTC_UTHRESHOLD);
      if ((d.dest.uThreshold = stringToNumber(arg, 0, O.INT_MAX)) === -1) fail(2, 'illegal u_threshold specified');
      break;
    case T.tag('y'):
      setOption(d, O.OPTC_LTHRESHOLD);
      if ((d.dest.lThreshold = stringToNumber(arg, 0, O.INT_MAX)) === -1) fail(2, 'illegal l_threshold specified');
      break;
    case T.TAG_SORT:
      // Sort is the default, this is a no-op for compatibility
      break;
    case T.tag('6'):
      if (d.svc.fwmark === 0) fail(2, '-6 used before -f\n');
      d.svc.af = AF_INET6;
      d.svc.netmask = 128;
      break;
    case T.tag('o'):
      setOption(d, O.OPTC_ONEPACKET);
      d.svc.flags |= SVC_F_ONEPACKET;
      break;
    case T.TAG_PERSISTENCE_ENGINE:
      setOption(d, O.OPTC_PERSISTENCE_ENGINE);
      d.svc.peName = arg.slice(0, 16); // IP_VS_PENAME_MAXLEN
      break;
    case T.tag('b'):
      setOption(d, O.OPTC_SCHED_FLAGS);
      d.schedFlagsArg = arg.slice(0, 127);
      break;
    case T.TAG_TUN_TYPE: {
      setOption(d, O.OPTC_TUN_TYPE);
      const t = parseTunType(arg);
      if (t === -1) fail(2, 'illegal tunnel type specified');
      d.tunType = t;
      d.dest.tunType = t;
      break;
    }
    case T.TAG_SYNPROXY:
      // tsvs extension outside the grid (src/model/synproxy-state.ts): checked below by command.
      if (d.synproxyArg !== null) fail(2, "multiple 'synproxy' options specified");
      d.synproxyArg = arg;
      break;
    case T.TAG_TUN_PORT: {
      setOption(d, O.OPTC_TUN_PORT);
      const port = stringToNumber(arg, 1, 65535);
      if (port === -1) fail(2, 'illegal tunnel port specified');
      d.dest.tunPort = port;
      break;
    }
    // IP_VS_TUNNEL_ENCAP_FLAG_*: nocsum sets the flags to 0, csum and remcsum add their bit.
    case T.TAG_TUN_NOCSUM:
      setOption(d, O.OPTC_TUN_NOCSUM);
      d.dest.tunFlags = 0;
      break;
    case T.TAG_TUN_CSUM:
      setOption(d, O.OPTC_TUN_CSUM);
      d.dest.tunFlags |= 1;
      break;
    case T.TAG_TUN_REMCSUM:
      setOption(d, O.OPTC_TUN_REMCSUM);
      d.dest.tunFlags |= 2;
      break;
    default:
      return applyDaemonOption(d, tag, arg);
  }
  return true;
}
