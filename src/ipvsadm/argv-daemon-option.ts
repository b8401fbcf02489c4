// argv-daemon-option: the sync daemon options of an ipvsadm command line (--mcast-interface,
// --syncid, --mcast-group, --mcast-port, --mcast-ttl, --sync-maxlen), checked as
// parse_options() in ipvsadm.c (1.31) checks them.

import { parseDottedQuad } from '../lib/inet.ts';
import { parseInet6 } from '../lib/inet6.ts';
import * as O from './argv-options.ts';
import * as T from './argv-option-table.ts';
import { fail } from './argv-exit.ts';
import { stringToNumber } from './argv-values.ts';
import { setOption, type ArgvDraft } from './argv-draft.ts';

/** Apply one sync daemon option to d; false when tag is not one. */
export function applyDaemonOption(d: ArgvDraft, tag: number, arg: string): boolean {
  switch (tag) {
    case T.TAG_MCAST_INTERFACE:
      setOption(d, O.OPTC_MCAST);
      d.daemon.mcastIfn = arg.slice(0, 15); // strncpy(..., IP_VS_IFNAME_MAXLEN - 1)
      break;
    case T.tag('I'):
      setOption(d, O.OPTC_SYNCID);
      if ((d.daemon.syncid = stringToNumber(arg, 0, 255)) === -1) fail(2, 'illegal syncid specified');
      break;
    case T.TAG_MCAST_GROUP:
      setOption(d, O.OPTC_MCAST_GROUP);
      if (arg.includes(':')) {
        // inet_pton(AF_INET6) + IN6_IS_ADDR_MULTICAST as ipvsadm; a valid group is then
        // refused: tsvs's sync daemon sends and joins over IPv4 only (src/daemon/sync-d.daemon.ts).
        const g6 = parseInet6(arg);
        if (g6 === null || g6[0]! >>> 24 !== 0xff) fail(2, `invalid IPv6 mcast-group \`${arg}'`);
        fail(2, `IPv6 mcast-group \`${arg}' is not supported by tsvs's sync daemon (IPv4 groups only)`);
      }
      {
        const g = parseDottedQuad(arg); // inet_pton(AF_INET) + IN_MULTICAST
        if (g === null || g >>> 28 !== 0xe) fail(2, `invalid IPv4 mcast-group \`${arg}'`);
        d.daemon.mcastGroup = g;
      }
      break;
    case T.TAG_MCAST_PORT:
      setOption(d, O.OPTC_MCAST_PORT);
      if ((d.daemon.mcastPort = stringToNumber(arg, 1, 65535)) === -1) fail(2, 'illegal mcast-port specified');
      break;
    case T.TAG_MCAST_TTL:
      setOption(d, O.OPTC_MCAST_TTL);
      if ((d.daemon.mcastTtl = stringToNumber(arg, 1, 255)) === -1) fail(2, 'illegal mcast-ttl specified');
      break;
    case T.TAG_SYNC_MAXLEN:
      setOption(d, O.OPTC_SYNC_MAXLEN);
      if ((d.daemon.syncMaxlen = stringToNumber(arg, 1, 65535 - 20 - 8)) === -1)
        fail(2, 'illegal sync-maxlen specified');
      break;
    default:
      return false;
  }
  return true;
}
