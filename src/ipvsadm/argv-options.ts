// The ipvsadm command language as tables, copied from ipvsadm 1.31 (ipvsadm.c): commands,
// option indexes, the popt option table, the commands_v_options grid and the tunnel grid.
// tsvs extension: -F/--fullnat (full NAT forwarding). ipvsadm has no -F; Alibaba's FULLNAT
// ipvsadm and DPVS's use -b, which ipvsadm 1.31 gave to --sched-flags, so we could not.

export const CMD_NONE = 0;
export const CMD_ADD = 1;
export const CMD_EDIT = 2;
export const CMD_DEL = 3;
export const CMD_FLUSH = 4;
export const CMD_LIST = 5;
export const CMD_ADDDEST = 6;
export const CMD_DELDEST = 7;
export const CMD_EDITDEST = 8;
export const CMD_TIMEOUT = 9;
export const CMD_STARTDAEMON = 10;
export const CMD_STOPDAEMON = 11;
export const CMD_RESTORE = 12;
export const CMD_SAVE = 13;
export const CMD_ZERO = 14;

/** cmdnames[], indexed by CMD_* - 1. */
export const CMD_NAMES: readonly string[] = [
  'add-service',
  'edit-service',
  'delete-service',
  'flush',
  'list',
  'add-server',
  'delete-server',
  'edit-server',
  'set',
  'start-daemon',
  'stop-daemon',
  'restore',
  'save',
  'zero',
];

// OPTC_* column indexes of commands_v_options.
export const OPTC_NUMERIC = 0;
export const OPTC_CONNECTION = 1;
export const OPTC_SERVICE = 2;
export const OPTC_SCHEDULER = 3;
export const OPTC_PERSISTENT = 4;
export const OPTC_NETMASK = 5;
export const OPTC_SERVER = 6;
export const OPTC_FORWARD = 7;
export const OPTC_WEIGHT = 8;
export const OPTC_UTHRESHOLD = 9;
export const OPTC_LTHRESHOLD = 10;
export const OPTC_MCAST = 11;
export const OPTC_TIMEOUT = 12;
export const OPTC_DAEMON = 13;
export const OPTC_STATS = 14;
export const OPTC_RATE = 15;
export const OPTC_THRESHOLDS = 16;
export const OPTC_PERSISTENTCONN = 17;
export const OPTC_NOSORT = 18;
export const OPTC_SYNCID = 19;
export const OPTC_EXACT = 20;
export const OPTC_ONEPACKET = 21;
export const OPTC_PERSISTENCE_ENGINE = 22;
export const OPTC_SCHED_FLAGS = 23;
export const OPTC_MCAST_GROUP = 24;
export const OPTC_MCAST_PORT = 25;
export const OPTC_MCAST_TTL = 26;
export const OPTC_SYNC_MAXLEN = 27;
export const OPTC_TUN_INFO = 28;
export const OPTC_TUN_TYPE = 29;
export const OPTC_TUN_PORT = 30;
export const OPTC_TUN_NOCSUM = 31;
export const OPTC_TUN_CSUM = 32;
export const OPTC_TUN_REMCSUM = 33;
export const NUMBER_OF_OPT = 34;

/** optnames[], indexed by OPTC_*. */
export const OPT_NAMES: readonly string[] = [
  'numeric',
  'connection',
  'service-address',
  'scheduler',
  'persistent',
  'netmask',
  'real-server',
  'forwarding-method',
  'weight',
  'u-threshold',
  'l-threshold',
  'mcast-interface',
  'timeout',
  'daemon',
  'stats',
  'rate',
  'thresholds',
  'persistent-conn',
  'nosort',
  'syncid',
  'exact',
  'ops',
  'pe',
  'sched-flags',
  'mcast-group',
  'mcast-port',
  'mcast-ttl',
  'sync-maxlen',
  'tun-info',
  'tun-type',
  'tun-port',
  'tun-nocsum',
  'tun-csum',
  'tun-remcsum',
];

/**
 * commands_v_options[NUMBER_OF_CMD][NUMBER_OF_OPT], one string per command, one character per
 * option column:  '+' compulsory, 'x' illegal, '1' exclusive (only one '1' option), ' ' optional.
 * The columns, in order: -n -c svc -s -p -M -r fwd -w -x -y -mc tot dmn -st -rt thr -pc srt sid
 *   -ex ops -pe -b grp port ttl size tinf type tprt nocs csum remc.
 */
export const COMMANDS_V_OPTIONS: readonly string[] = [
  /*ADD*/ 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  /*EDIT*/ 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx',
  /*DEL*/ 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*FLUSH*/ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*LIST*/ ' 11xxxxxxxxx11       xxxxxxx xxxxx',
  /*ADDSRV*/ 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  /*DELSRV*/ 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*EDITSRV*/ 'xx+xxx+    xxxxxxxxxxxxxxxxxx     ',
  /*TIMEOUT*/ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*STARTD*/ 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx',
  /*STOPD*/ 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx',
  /*RESTORE*/ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*SAVE*/ ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  /*ZERO*/ 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
];

/** Tunnel types (IP_VS_CONN_F_TUNNEL_TYPE_*) and tunnames[]. */
export const TUN_TYPE_IPIP = 0;
export const TUN_TYPE_GUE = 1;
export const TUN_TYPE_GRE = 2;
export const TUN_NAMES: readonly string[] = ['ipip', 'gue', 'gre'];
/** tunopts[]: the columns of tunnel_types_v_options. */
export const TUN_OPTS: readonly number[] = [OPTC_TUN_PORT, OPTC_TUN_NOCSUM, OPTC_TUN_CSUM, OPTC_TUN_REMCSUM];
/** tunnel_types_v_options[type]:  tprt nocs csum remc */
export const TUNNEL_TYPES_V_OPTIONS: readonly string[] = [/*ipip*/ 'xxxx', /*gue*/ '+111', /*gre*/ 'x11x'];

// Tags for options without a short name (TAG_* in ipvsadm.c, values above ASCII).
export const TAG_SET = 128;
export const TAG_START_DAEMON = 129;
export const TAG_STOP_DAEMON = 130;
export const TAG_MCAST_INTERFACE = 131;
export const TAG_TIMEOUT = 132;
export const TAG_DAEMON = 133;
export const TAG_STATS = 134;
export const TAG_RATE = 135;
export const TAG_THRESHOLDS = 136;
export const TAG_PERSISTENTCONN = 137;
export const TAG_SORT = 138;
export const TAG_NO_SORT = 139;
export const TAG_PERSISTENCE_ENGINE = 140;
export const TAG_SCTP_SERVICE = 141;
export const TAG_MCAST_GROUP = 142;
export const TAG_MCAST_PORT = 143;
export const TAG_MCAST_TTL = 144;
export const TAG_SYNC_MAXLEN = 145;
export const TAG_TUN_INFO = 146;
export const TAG_TUN_TYPE = 147;
export const TAG_TUN_PORT = 148;
export const TAG_TUN_NOCSUM = 149;
export const TAG_TUN_CSUM = 150;
export const TAG_TUN_REMCSUM = 151;
/** tsvs extension: --synproxy auto|always|never on -A/-E, outside ipvsadm's option grid. */
export const TAG_SYNPROXY = 160;
/** Short-name tags are the character codes, as in ipvsadm. */
export const tag = (c: string): number => c.charCodeAt(0);

export type ArgKind = 'none' | 'required' | 'optional';

export interface OptionDef {
  readonly long: string;
  readonly short: string | null;
  readonly arg: ArgKind;
  readonly tag: number;
}

const o = (long: string, short: string | null, arg: ArgKind, t: number): OptionDef => ({ long, short, arg, tag: t });

/** options_table[] of parse_options() (popt), plus -F/--fullnat and --synproxy. */
export const OPTION_TABLE: readonly OptionDef[] = [
  o('add-service', 'A', 'none', tag('A')),
  o('edit-service', 'E', 'none', tag('E')),
  o('delete-service', 'D', 'none', tag('D')),
  o('clear', 'C', 'none', tag('C')),
  o('list', 'L', 'none', tag('L')),
  o('list', 'l', 'none', tag('l')),
  o('zero', 'Z', 'none', tag('Z')),
  o('add-server', 'a', 'none', tag('a')),
  o('edit-server', 'e', 'none', tag('e')),
  o('delete-server', 'd', 'none', tag('d')),
  o('set', null, 'none', TAG_SET),
  o('help', 'h', 'none', tag('h')),
  o('version', 'v', 'none', tag('v')),
  o('restore', 'R', 'none', tag('R')),
  o('save', 'S', 'none', tag('S')),
  o('start-daemon', null, 'required', TAG_START_DAEMON),
  o('stop-daemon', null, 'required', TAG_STOP_DAEMON),
  o('tcp-service', 't', 'required', tag('t')),
  o('udp-service', 'u', 'required', tag('u')),
  o('sctp-service', null, 'required', TAG_SCTP_SERVICE),
  o('fwmark-service', 'f', 'required', tag('f')),
  o('scheduler', 's', 'required', tag('s')),
  o('persistent', 'p', 'optional', tag('p')),
  o('netmask', 'M', 'required', tag('M')),
  o('real-server', 'r', 'required', tag('r')),
  o('masquerading', 'm', 'none', tag('m')),
  o('ipip', 'i', 'none', tag('i')),
  o('gatewaying', 'g', 'none', tag('g')),
  o('fullnat', 'F', 'none', tag('F')),
  o('weight', 'w', 'required', tag('w')),
  o('u-threshold', 'x', 'required', tag('x')),
  o('l-threshold', 'y', 'required', tag('y')),
  o('numeric', 'n', 'none', tag('n')),
  o('connection', 'c', 'none', tag('c')),
  o('mcast-interface', null, 'required', TAG_MCAST_INTERFACE),
  o('syncid', null, 'required', tag('I')),
  o('timeout', null, 'none', TAG_TIMEOUT),
  o('daemon', null, 'none', TAG_DAEMON),
  o('stats', null, 'none', TAG_STATS),
  o('rate', null, 'none', TAG_RATE),
  o('thresholds', null, 'none', TAG_THRESHOLDS),
  o('persistent-conn', null, 'none', TAG_PERSISTENTCONN),
  o('nosort', null, 'none', TAG_NO_SORT),
  o('sort', null, 'none', TAG_SORT),
  o('exact', 'X', 'none', tag('X')),
  o('ipv6', '6', 'none', tag('6')),
  o('ops', 'o', 'none', tag('o')),
  o('pe', null, 'required', TAG_PERSISTENCE_ENGINE),
  o('sched-flags', 'b', 'required', tag('b')),
  o('mcast-group', null, 'required', TAG_MCAST_GROUP),
  o('mcast-port', null, 'required', TAG_MCAST_PORT),
  o('mcast-ttl', null, 'required', TAG_MCAST_TTL),
  o('sync-maxlen', null, 'required', TAG_SYNC_MAXLEN),
  o('tun-info', null, 'none', TAG_TUN_INFO),
  o('tun-type', null, 'required', TAG_TUN_TYPE),
  o('tun-port', null, 'required', TAG_TUN_PORT),
  o('tun-nocsum', null, 'none', TAG_TUN_NOCSUM),
  o('tun-csum', null, 'none', TAG_TUN_CSUM),
  o('tun-remcsum', null, 'none', TAG_TUN_REMCSUM),
  o('synproxy', null, 'required', TAG_SYNPROXY),
];

// Printing format flags (FMT_* in ipvsadm.c).
export const FMT_NONE = 0x0000;
export const FMT_NUMERIC = 0x0001;
export const FMT_RULE = 0x0002;
export const FMT_STATS = 0x0004;
export const FMT_RATE = 0x0008;
export const FMT_THRESHOLDS = 0x0010;
export const FMT_PERSISTENTCONN = 0x0020;
export const FMT_NOSORT = 0x0040;
export const FMT_EXACT = 0x0080;
export const FMT_TUN_INFO = 0x0100;

/** MAX_TIMEOUT: 31 days. */
export const MAX_TIMEOUT = 86400 * 31;
/** INT_MAX, the upper bound of -x / -y. */
export const INT_MAX = 2147483647;
