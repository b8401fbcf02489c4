// argv-options: the ipvsadm command language as tables, copied from ipvsadm 1.31 (ipvsadm.c):
// commands, option indexes, the commands_v_options grid, the tunnel grid and the printing
// format flags. The option table the parser reads is argv-option-table.ts.

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
