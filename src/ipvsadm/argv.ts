// parseArgv: an ipvsadm command line to a Command, mirroring parse_options() and the checks of
// process_options() in ipvsadm.c (1.31): the first option must be a command; each option is
// checked as it is read (fail(2, ...)); popt errors exit 255; then --set values, leftovers,
// -b flags, the commands_v_options grid, and the per-command rules (zero port needs -p, -o is
// for UDP, DR/TUN real servers take the service port, list option conflicts).

import { AF_INET, AF_INET6, FWD_FULLNAT, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { synproxyFlagsOf } from '../model/synproxy-state.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { parseDottedQuad, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import * as O from './argv-options.ts';
import { ArgvExit, EXIT_TRYHELP, fail, tryhelpExit } from './argv-exit.ts';
import { PoptContext, poptStrerror } from './argv-popt.ts';
import { checkCommand } from './argv-checks.ts';
import type { Command } from './command.ts';
import { usageText, versionText } from './usage.ts';
import { systemServices, type ServicesDb } from './services-db.ts';
import { parseInet6 } from '../lib/inet6.ts';
import type { DestSpec, ServiceSpec } from '../model/rule-spec.ts';
import {
  parseFwmark,
  parseNetmask,
  parseNetmask6,
  parseSchedFlags,
  parseService,
  parseTimeout,
  parseTunType,
  stringToNumber,
  SERVICE_ADDR,
  type HostTable,
} from './argv-values.ts';

export interface ParseOptions {
  /** argv[0] as ipvsadm prints it in "Try `%s -h'..."; "tsvsadm". */
  readonly program?: string;
  /** Pre-resolved host names (resolve-hosts.ts fills them). */
  readonly hosts?: HostTable;
  readonly services?: ServicesDb;
  /** True while reading -R input (a nested -R is refused like ipvsadm's restore_table()). */
  readonly readingStdin?: boolean;
}

/** The command entry process_options() fills in place. */
type Draft<T> = { -readonly [K in keyof T]: T[K] };

function optionToProtocol(tag: number): number {
  return tag === O.tag('t') ? IPPROTO_TCP : IPPROTO_UDP;
}

const COMMAND_OF_TAG = new Map<number, number>([
  [O.tag('A'), O.CMD_ADD],
  [O.tag('E'), O.CMD_EDIT],
  [O.tag('D'), O.CMD_DEL],
  [O.tag('a'), O.CMD_ADDDEST],
  [O.tag('e'), O.CMD_EDITDEST],
  [O.tag('d'), O.CMD_DELDEST],
  [O.tag('C'), O.CMD_FLUSH],
  [O.tag('L'), O.CMD_LIST],
  [O.tag('l'), O.CMD_LIST],
  [O.tag('Z'), O.CMD_ZERO],
  [O.TAG_SET, O.CMD_TIMEOUT],
  [O.tag('R'), O.CMD_RESTORE],
  [O.tag('S'), O.CMD_SAVE],
  [O.TAG_START_DAEMON, O.CMD_STARTDAEMON],
  [O.TAG_STOP_DAEMON, O.CMD_STOPDAEMON],
]);

/** Options that only set their bit (and a format flag): the plain cases of the switch. */
const FLAG_OPTIONS = new Map<number, readonly [number, number]>([
  [O.tag('c'), [O.OPTC_CONNECTION, 0]],
  [O.tag('n'), [O.OPTC_NUMERIC, O.FMT_NUMERIC]],
  [O.TAG_TIMEOUT, [O.OPTC_TIMEOUT, 0]],
  [O.TAG_DAEMON, [O.OPTC_DAEMON, 0]],
  [O.TAG_STATS, [O.OPTC_STATS, O.FMT_STATS]],
  [O.TAG_RATE, [O.OPTC_RATE, O.FMT_RATE]],
  [O.TAG_THRESHOLDS, [O.OPTC_THRESHOLDS, O.FMT_THRESHOLDS]],
  [O.TAG_PERSISTENTCONN, [O.OPTC_PERSISTENTCONN, O.FMT_PERSISTENTCONN]],
  [O.TAG_NO_SORT, [O.OPTC_NOSORT, O.FMT_NOSORT]],
  [O.tag('X'), [O.OPTC_EXACT, O.FMT_EXACT]],
  [O.TAG_TUN_INFO, [O.OPTC_TUN_INFO, O.FMT_TUN_INFO]],
]);

/** `argv` excludes the program name. Throws ArgvExit for help, version and every usage error. */
export function parseArgv(argv: readonly string[], opts: ParseOptions = {}): Command {
  const program = opts.program ?? 'tsvsadm';
  const hosts: HostTable = opts.hosts ?? new Map();
  const services = opts.services ?? systemServices();

  // process_options(): the defaults of ipvs_command_entry.
  const svc: Draft<ServiceSpec> = {
    af: AF_INET,
    protocol: 0,
    addr: 0,
    port: 0,
    fwmark: 0,
    schedName: '',
    flags: 0,
    timeoutSec: 0,
    netmask: 0xffffffff,
    peName: '',
  };
  // The tunnel defaults of process_options(): type 0 (ipip), port 0 (n/a), flags 0 (nocsum).
  const dest: Draft<Required<Omit<DestSpec, 'addr6'>>> & Pick<Draft<DestSpec>, 'addr6'> = {
    af: AF_INET,
    addr: 0,
    port: 0,
    fwd: FWD_ROUTE,
    weight: 1,
    uThreshold: 0,
    lThreshold: 0,
    tunType: 0,
    tunPort: 0,
    tunFlags: 0,
  };
  const timeouts = { tcp: 0, tcpFin: 0, udp: 0 };
  const options = new Set<number>();
  let format: number = O.FMT_NONE;
  let daemonState: 'master' | 'backup' | null = null;
  // process_options(): DEF_MCAST_IFN, everything else 0 (the kernel's defaults).
  const daemon = { mcastIfn: 'eth0', syncid: 0, syncMaxlen: 0, mcastGroup: 0, mcastPort: 0, mcastTtl: 0 };
  let tunType = O.TUN_TYPE_IPIP;
  let schedFlagsArg = '';
  let synproxyArg: string | null = null;

  const setOption = (optc: number): void => {
    if (options.has(optc)) fail(2, `multiple '${O.OPT_NAMES[optc]}' options specified`);
    options.add(optc);
  };

  const popt = new PoptContext(argv, O.OPTION_TABLE);

  // The first option must be the command.
  const first = popt.next();
  if (first === null || 'error' in first) tryhelpExit(program);
  if (first.tag === O.tag('h')) throw new ArgvExit(0, usageText(program), true);
  if (first.tag === O.tag('v')) throw new ArgvExit(0, versionText(), true);
  const cmd = COMMAND_OF_TAG.get(first.tag);
  if (cmd === undefined) tryhelpExit(program);
  if (cmd === O.CMD_STARTDAEMON || cmd === O.CMD_STOPDAEMON) {
    if (first.arg === 'master' || first.arg === 'backup') daemonState = first.arg;
    else if (cmd === O.CMD_STARTDAEMON) fail(2, 'illegal start-daemon parameter specified');
    else fail(2, 'illegal start_daemon specified');
  }

  for (let c = popt.next(); c !== null; c = popt.next()) {
    if ('error' in c) {
      throw new ArgvExit(EXIT_TRYHELP, `${popt.badOption()}: ${poptStrerror(c.error)}\n`);
    }
    const arg = c.arg ?? '';
    const flag = FLAG_OPTIONS.get(c.tag);
    if (flag !== undefined) {
      setOption(flag[0]);
      format |= flag[1];
      continue;
    }
    switch (c.tag) {
      case O.TAG_SCTP_SERVICE:
        // ipvsadm takes SCTP services; the tsvs data path has no SCTP state machine
        // (ip_vs_proto_sctp.c), so one would be listed and never forwarded: refuse it.
        fail(2, 'SCTP services are not supported by tsvs');
        break;
      case O.tag('t'):
      case O.tag('u'): {
        setOption(O.OPTC_SERVICE);
        svc.protocol = optionToProtocol(c.tag);
        const p = parseService(arg, svc.protocol, svc.port, hosts, services);
        // parse_service() fills ce->svc itself: family, address, port, and netmask 128 for IPv6.
        if (p.result !== 0) {
          svc.af = p.af;
          svc.addr = p.addr;
          if (p.addr6 !== undefined) {
            svc.addr6 = p.addr6;
            svc.netmask = 128;
          } else delete svc.addr6;
          svc.port = p.port;
        }
        if (!(p.result & SERVICE_ADDR)) fail(2, 'illegal virtual server address[:port] specified');
        break;
      }
      case O.tag('f'):
        setOption(O.OPTC_SERVICE);
        // "Set protocol to a sane values, even though it is not used"
        svc.af = AF_INET;
        svc.protocol = IPPROTO_TCP;
        svc.fwmark = parseFwmark(arg);
        break;
      case O.tag('s'):
        setOption(O.OPTC_SCHEDULER);
        svc.schedName = arg.slice(0, 15); // IP_VS_SCHEDNAME_MAXLEN - 1
        break;
      case O.tag('p'):
        setOption(O.OPTC_PERSISTENT);
        svc.flags |= SVC_F_PERSISTENT;
        svc.timeoutSec = parseTimeout(c.arg, 1, O.MAX_TIMEOUT);
        break;
      case O.tag('M'): {
        setOption(O.OPTC_NETMASK);
        if (svc.af === AF_INET6) {
          svc.netmask = parseNetmask6(arg);
          break;
        }
        const m = parseNetmask(arg, hosts);
        if (m === null) fail(2, 'illegal virtual server persistent mask specified');
        svc.netmask = m;
        break;
      }
      case O.tag('r'): {
        setOption(O.OPTC_SERVER);
        const p = parseService(arg, svc.protocol, svc.port, hosts, services);
        // ipvsadm parses into a copy of ce->svc (t_dest), so a failed parse leaves the
        // service's family and address there; those are then failed on just below.
        dest.af = p.result !== 0 ? p.af : svc.af;
        dest.addr = p.result !== 0 ? p.addr : svc.addr;
        if (p.addr6 !== undefined) dest.addr6 = p.addr6;
        else delete dest.addr6;
        dest.port = p.port;
        if (!(p.result & SERVICE_ADDR)) fail(2, 'illegal real server address[:port] specified');
        // copy vport to dport if not specified
        if (p.result === SERVICE_ADDR) dest.port = svc.port;
        break;
      }
      case O.tag('i'):
        setOption(O.OPTC_FORWARD);
        dest.fwd = FWD_TUNNEL;
        break;
      case O.tag('g'):
        setOption(O.OPTC_FORWARD);
        dest.fwd = FWD_ROUTE;
        break;
      case O.tag('m'):
        setOption(O.OPTC_FORWARD);
        dest.fwd = FWD_MASQ;
        break;
      case O.tag('F'):
        setOption(O.OPTC_FORWARD);
        dest.fwd = FWD_FULLNAT;
        break;
      case O.tag('w'):
        setOption(O.OPTC_WEIGHT);
        if ((dest.weight = stringToNumber(arg, 0, 65535)) === -1) fail(2, 'illegal weight specified');
        break;
      case O.tag('x'):
        setOption(O.OPTC_UTHRESHOLD);
        if ((dest.uThreshold = stringToNumber(arg, 0, O.INT_MAX)) === -1) fail(2, 'illegal u_threshold specified');
        break;
      case O.tag('y'):
        setOption(O.OPTC_LTHRESHOLD);
        if ((dest.lThreshold = stringToNumber(arg, 0, O.INT_MAX)) === -1) fail(2, 'illegal l_threshold specified');
        break;
      case O.TAG_MCAST_INTERFACE:
        setOption(O.OPTC_MCAST);
        daemon.mcastIfn = arg.slice(0, 15); // strncpy(..., IP_VS_IFNAME_MAXLEN - 1)
        break;
      case O.tag('I'):
        setOption(O.OPTC_SYNCID);
        if ((daemon.syncid = stringToNumber(arg, 0, 255)) === -1) fail(2, 'illegal syncid specified');
        break;
      case O.TAG_SORT:
        // Sort is the default, this is a no-op for compatibility
        break;
      case O.tag('6'):
        if (svc.fwmark === 0) fail(2, '-6 used before -f\n');
        svc.af = AF_INET6;
        svc.netmask = 128;
        break;
      case O.tag('o'):
        setOption(O.OPTC_ONEPACKET);
        svc.flags |= SVC_F_ONEPACKET;
        break;
      case O.TAG_PERSISTENCE_ENGINE:
        setOption(O.OPTC_PERSISTENCE_ENGINE);
        svc.peName = arg.slice(0, 16); // IP_VS_PENAME_MAXLEN
        break;
      case O.tag('b'):
        setOption(O.OPTC_SCHED_FLAGS);
        schedFlagsArg = arg.slice(0, 127);
        break;
      case O.TAG_MCAST_GROUP:
        setOption(O.OPTC_MCAST_GROUP);
        if (arg.includes(':')) {
          // inet_pton(AF_INET6) + IN6_IS_ADDR_MULTICAST as ipvsadm; a valid group is then
          // refused: tsvs's sync daemon sends and joins over IPv4 only (src/daemon/sync-daemon.ts).
          const g6 = parseInet6(arg);
          if (g6 === null || g6[0]! >>> 24 !== 0xff) fail(2, `invalid IPv6 mcast-group \`${arg}'`);
          fail(2, `IPv6 mcast-group \`${arg}' is not supported by tsvs's sync daemon (IPv4 groups only)`);
        }
        {
          const g = parseDottedQuad(arg); // inet_pton(AF_INET) + IN_MULTICAST
          if (g === null || g >>> 28 !== 0xe) fail(2, `invalid IPv4 mcast-group \`${arg}'`);
          daemon.mcastGroup = g;
        }
        break;
      case O.TAG_MCAST_PORT:
        setOption(O.OPTC_MCAST_PORT);
        if ((daemon.mcastPort = stringToNumber(arg, 1, 65535)) === -1) fail(2, 'illegal mcast-port specified');
        break;
      case O.TAG_MCAST_TTL:
        setOption(O.OPTC_MCAST_TTL);
        if ((daemon.mcastTtl = stringToNumber(arg, 1, 255)) === -1) fail(2, 'illegal mcast-ttl specified');
        break;
      case O.TAG_SYNC_MAXLEN:
        setOption(O.OPTC_SYNC_MAXLEN);
        if ((daemon.syncMaxlen = stringToNumber(arg, 1, 65535 - 20 - 8)) === -1)
          fail(2, 'illegal sync-maxlen specified');
        break;
      case O.TAG_TUN_TYPE: {
        setOption(O.OPTC_TUN_TYPE);
        const t = parseTunType(arg);
        if (t === -1) fail(2, 'illegal tunnel type specified');
        tunType = t;
        dest.tunType = t;
        break;
      }
      case O.TAG_SYNPROXY:
        // tsvs extension outside the grid (src/model/synproxy-state.ts): checked below by command.
        if (synproxyArg !== null) fail(2, "multiple 'synproxy' options specified");
        synproxyArg = arg;
        break;
      case O.TAG_TUN_PORT: {
        setOption(O.OPTC_TUN_PORT);
        const port = stringToNumber(arg, 1, 65535);
        if (port === -1) fail(2, 'illegal tunnel port specified');
        dest.tunPort = port;
        break;
      }
      // IP_VS_TUNNEL_ENCAP_FLAG_*: nocsum sets the flags to 0, csum and remcsum add their bit.
      case O.TAG_TUN_NOCSUM:
        setOption(O.OPTC_TUN_NOCSUM);
        dest.tunFlags = 0;
        break;
      case O.TAG_TUN_CSUM:
        setOption(O.OPTC_TUN_CSUM);
        dest.tunFlags |= 1;
        break;
      case O.TAG_TUN_REMCSUM:
        setOption(O.OPTC_TUN_REMCSUM);
        dest.tunFlags |= 2;
        break;
      default:
        // A second command, -h or -v after the command.
        fail(2, `invalid option \`${popt.badOption()}'`);
    }
  }

  if (cmd === O.CMD_TIMEOUT) {
    const a = popt.nextArg();
    const b = a === null ? null : popt.nextArg();
    const c = b === null ? null : popt.nextArg();
    if (a === null || b === null || c === null) fail(2, '--set option requires 3 timeout values');
    timeouts.tcp = parseTimeout(a, 0, O.MAX_TIMEOUT);
    timeouts.tcpFin = parseTimeout(b, 0, O.MAX_TIMEOUT);
    timeouts.udp = parseTimeout(c, 0, O.MAX_TIMEOUT);
  }
  const extra = popt.nextArg();
  if (extra !== null) fail(2, `unexpected argument ${extra}`);

  if (schedFlagsArg !== '') {
    svc.flags &= ~(SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3);
    svc.flags |= parseSchedFlags(svc.schedName, schedFlagsArg);
  }

  checkCommand(cmd, options, svc, dest, tunType);
  if (synproxyArg !== null) {
    if (cmd !== O.CMD_ADD && cmd !== O.CMD_EDIT) fail(2, '--synproxy is only for -A and -E');
    const bits = synproxyFlagsOf(synproxyArg);
    if (bits < 0) fail(2, `illegal synproxy mode ${synproxyArg} (auto, always or never)`);
    if (svc.protocol !== IPPROTO_TCP || svc.fwmark !== 0) fail(2, '--synproxy is only for TCP services (-t)');
    svc.flags |= bits;
  }

  if (cmd === O.CMD_RESTORE && opts.readingStdin === true) tryhelpExit(program); // "avoid infinite loop"

  return { cmd, options, format, svc, dest, timeouts, daemonState, daemon, tunType };
}
