// argv-option-table: ipvsadm's popt option table, copied from ipvsadm 1.31 (ipvsadm.c
// options_table[] of parse_options()): each long and short name, whether it takes an argument,
// and the tag the parser switches on. tsvs extensions: -F/--fullnat (full NAT forwarding) and
// --synproxy. ipvsadm has no -F; Alibaba's FULLNAT ipvsadm and DPVS's use -b, which ipvsadm
// 1.31 gave to --sched-flags, so tsvs could not.

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
