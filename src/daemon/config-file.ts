// The tsvsd configuration file (default /etc/tsvs/tsvsd.conf): INI-like sections, '#' comments.
//
//   [daemon]                       # optional; command-line flags win
//   socket /run/tsvs/tsvsd.sock
//   rules /var/lib/tsvs/rules
//   log-level info                 # debug | info | warn | error
//   socket-group tsvs              # operators' group may use tsvsadm (config-daemon.ts)
//   socket-mode 0660
//
//   [engine]                       # for the packet engine (parsed and kept; see EngineConfig)
//   interface eth0 owned 192.168.88.5 subnet 192.168.88.0/24 gateway 192.168.88.1
//   interface eth1 subnet 192.168.99.0/24
//   interface eth0 owned 2001:db8:88::5 subnet 2001:db8:88::/64   # IPv6 too (config-interface.ts)
//   fullnat-address 192.168.99.250
//   fullnat-ports 1024-65535       # local ports per full-NAT address
//   busy-poll-us 0                 # keep polling the rings this long after frames (0 = off, the default)
//   poll-interval-us 100           # under load, poll the rings on this timer (0 = wakeups only)
//   jumbo-slots 128                # per interface, a second RX ring for whole 64 KiB GSO frames
//                                  #   (68 KiB a slot; 0 = none: they are read from the socket)
//   kernel-filter on               # nft netdev table: the kernel skips its copy of tsvs's frames
//   conn-capacity 65536            # entries; ~180 bytes each: 65536 = 11.3 MiB, 1048576 = 180 MiB
//   embryonic-quota 50             # % of the table that TCP handshakes may hold (0 = no quota)
//   drop-entry 0                   # IPVS defence strategies, 0 off, 1 auto, 2 engaged, 3 always:
//   drop-packet 0                  #   the sysctls of the same names (src/conn/defense.ts)
//   secure-tcp 0
//   amemthresh 1024                # engage below this many FREE TABLE ENTRIES (the kernel: pages)
//   am-droprate 10                 # drop-packet 3 drops 1 in this many new-connection packets
//   vrrp-state backup              # with keepalived: start silent, answer after notify_master
//                                  #   runs `tsvsadm --vrrp-state master` (src/daemon/vrrp-state.ts)
//   vrrp-notify-fifo vrrp.fifo     # or follow keepalived's notify_fifo itself (vrrp-fifo.ts): an
//                                  #   absolute path, or a file name beside the control socket
//   sloppy-tcp off                 # off | on | consistent: which non-SYN packets may create a
//                                  #   TCP connection (consistent: mh/sh services only; ECMP)
//   state-file /run/tsvs/tsvsd.conn-state  # the connection table's file (none = in memory only)
//   workers 1                      # data-path threads, 1 to 64 or auto (one per usable CPU);
//                                  #   1 runs the data path on the main thread (src/daemon/engine-workers.ts)
//
//   [rules]                        # ipvsadm -S lines, re-asserted on every start and SIGHUP
//   -A -t 192.168.88.5:80 -s rr
//   -a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1
//
// `owned`, `subnet` and `fullnat-address` take comma-separated lists and may repeat.
//
// SYN floods. embryonic-quota bounds the entries a SYN flood can take: a new TCP connection at
// the quota replaces the oldest connection still in its handshake (src/conn/embryonic-list.ts),
// so established connections keep the rest of the table and a real client's SYN always finds
// room. The defence keys mirror net.ipv4.vs.{drop_entry,drop_packet,secure_tcp,amemthresh,
// am_droprate} with the kernel's semantics (update_defense_level, once a second); the kernel's
// "available memory below amemthresh pages" becomes "free connection-table entries below
// amemthresh entries". drop-entry deletes SYN_RECV/SYNACK entries from 1/32 of the table a
// second; drop-packet drops new-connection packets at amemthresh / (amemthresh - free) (level 3:
// 1 in am-droprate); secure-tcp switches to the kernel's tcp_states_dos transition table.

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { TsvsError } from '../lib/errors.ts';
import type { RuleLine } from '../model/rules-format.ts';
import { splitRuleLines } from '../model/rules-format.ts';
import { MAX_WORKERS, type EngineConfig, type PortConfig, type SloppyTcp } from '../datapath/engine-config.ts';
import { isLevel, type Level } from '../lib/logger.ts';
import { isSocketAccessKey, parseSocketAccess, type SocketAccess } from './config-daemon.ts';
import { addrList, configError, parseInterface } from './config-interface.ts';
import type { DefenseSysctls } from '../conn/defense.ts';

export const DEFAULT_CONN_CAPACITY = 65536;

/** Config key -> DefenseSysctls field (net.ipv4.vs.<key with _>). */
const DEFENSE_KEYS = {
  'drop-entry': 'dropEntry',
  'drop-packet': 'dropPacket',
  'secure-tcp': 'secureTcp',
  amemthresh: 'amemthresh',
  'am-droprate': 'amDroprate',
} as const;

export interface DaemonConfig {
  readonly path: string;
  readonly socketPath?: string;
  readonly rulesPath?: string;
  readonly logLevel?: Level;
  readonly socketAccess?: SocketAccess;
  readonly engine: EngineConfig;
  /** The [rules] lines with their line numbers in the file. */
  readonly ruleLines: readonly RuleLine[];
}

/** Parses the text of a config file; errors name the file and line. */
export function parseConfig(text: string, path: string): DaemonConfig {
  let section = '';
  let socket: string | undefined;
  let rules: string | undefined;
  let logLevel: Level | undefined;
  let socketAccess: SocketAccess | undefined;
  const ports: PortConfig[] = [];
  const fullNatAddrs: number[] = [];
  let connCapacity = DEFAULT_CONN_CAPACITY;
  let fullNatPorts: [number, number] | undefined;
  let busyPollUs: number | undefined;
  let pollIntervalUs: number | undefined;
  let jumboSlots: number | undefined;
  let kernelFilter: boolean | undefined;
  const defense: Partial<DefenseSysctls> = {};
  let embryonicPercent: number | undefined;
  let vrrpState: 'master' | 'backup' | undefined;
  let vrrpNotifyFifo: string | undefined;
  let sloppyTcp: SloppyTcp | undefined;
  let stateFile: string | undefined;
  let workers: number | undefined;
  const ruleLines: RuleLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!;
    const sec = /^\s*\[([a-z]+)\]\s*(#.*)?$/.exec(raw);
    if (sec !== null) {
      section = sec[1]!;
      if (!['daemon', 'engine', 'rules'].includes(section))
        throw configError(path, n, `unknown section [${section}] (daemon, engine, rules)`);
      continue;
    }
    if (section === 'rules') {
      // Kept with its own line number; parsed as ipvsadm lines by load-rules.ts.
      for (const l of splitRuleLines(raw)) ruleLines.push({ line: n, tokens: l.tokens });
      continue;
    }
    const words = raw
      .replace(/#.*$/, '')
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (words.length === 0) continue;
    const [key, val] = words;
    if (section === '')
      throw configError(path, n, 'setting outside a section; start with [daemon], [engine] or [rules]');
    if (section === 'daemon') {
      if (val === undefined || words.length !== 2) throw configError(path, n, `${key} takes one value`);
      if (key === 'socket') socket = val;
      else if (key === 'rules') rules = val;
      else if (key === 'log-level' && isLevel(val)) logLevel = val;
      else if (key === 'log-level') throw configError(path, n, `log-level must be debug, info, warn or error`);
      else if (isSocketAccessKey(key!))
        socketAccess = parseSocketAccess(socketAccess, key!, val, (m) => configError(path, n, m));
      else
        throw configError(
          path,
          n,
          `unknown daemon setting ${key} (socket, rules, log-level, socket-group, socket-mode)`,
        );
    } else if (key === 'interface') {
      ports.push(parseInterface(path, n, words));
    } else if (key === 'fullnat-address') {
      fullNatAddrs.push(...addrList(path, n, val, 'fullnat-address'));
    } else if (key === 'fullnat-ports') {
      const m = words.length === 2 ? /^(\d{1,5})-(\d{1,5})$/.exec(val ?? '') : null;
      const lo = m === null ? NaN : Number(m[1]);
      const hi = m === null ? NaN : Number(m[2]);
      if (!(lo >= 1 && hi <= 65535 && lo <= hi))
        throw configError(path, n, 'fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535');
      fullNatPorts = [lo, hi];
    } else if (key === 'busy-poll-us' || key === 'poll-interval-us') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 1000)
        throw configError(path, n, `${key} must be an integer from 0 to 1000`);
      if (key === 'busy-poll-us') busyPollUs = v;
      else pollIntervalUs = v;
    } else if (key === 'jumbo-slots') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 4096)
        throw configError(path, n, 'jumbo-slots must be an integer from 0 to 4096');
      jumboSlots = v;
    } else if (key === 'kernel-filter') {
      if (words.length !== 2 || (val !== 'on' && val !== 'off'))
        throw configError(path, n, 'kernel-filter must be on or off');
      kernelFilter = val === 'on';
    } else if (key === 'conn-capacity') {
      const c = Number(val);
      if (!Number.isSafeInteger(c) || c < 1) throw configError(path, n, 'conn-capacity must be a positive integer');
      connCapacity = c;
    } else if (key === 'drop-entry' || key === 'drop-packet' || key === 'secure-tcp') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 3)
        throw configError(path, n, `${key} must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)`);
      defense[DEFENSE_KEYS[key]] = v;
    } else if (key === 'amemthresh' || key === 'am-droprate') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 0x7fffffff)
        throw configError(path, n, `${key} must be an integer from 0 to 2147483647`);
      defense[DEFENSE_KEYS[key]] = v;
    } else if (key === 'embryonic-quota') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 100)
        throw configError(path, n, 'embryonic-quota must be a percentage from 0 to 100');
      embryonicPercent = v;
    } else if (key === 'vrrp-state') {
      if (words.length !== 2 || (val !== 'master' && val !== 'backup'))
        throw configError(path, n, 'vrrp-state must be master or backup (the state tsvsd starts in)');
      vrrpState = val;
    } else if (key === 'vrrp-notify-fifo') {
      if (words.length !== 2 || (!val!.startsWith('/') && val!.includes('/')))
        throw configError(
          path,
          n,
          "vrrp-notify-fifo must be an absolute path or a file name beside the control socket (keepalived's notify_fifo)",
        );
      vrrpNotifyFifo = val;
    } else if (key === 'sloppy-tcp') {
      if (words.length !== 2 || (val !== 'off' && val !== 'on' && val !== 'consistent'))
        throw configError(path, n, 'sloppy-tcp must be off, on or consistent');
      sloppyTcp = val;
    } else if (key === 'state-file') {
      if (words.length !== 2 || (val !== 'none' && !val!.startsWith('/')))
        throw configError(path, n, 'state-file must be an absolute path or none');
      stateFile = val;
    } else if (key === 'workers') {
      const v = val === 'auto' ? availableParallelism() : Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 1 || v > MAX_WORKERS)
        throw configError(path, n, `workers must be auto or an integer from 1 to ${MAX_WORKERS}`);
      workers = Math.min(v, MAX_WORKERS);
    } else {
      throw configError(
        path,
        n,
        `unknown engine setting ${key} (interface, fullnat-address, fullnat-ports, busy-poll-us, poll-interval-us, jumbo-slots, kernel-filter, conn-capacity, embryonic-quota, drop-entry, drop-packet, secure-tcp, amemthresh, am-droprate, vrrp-state, vrrp-notify-fifo, sloppy-tcp, state-file, workers)`,
      );
    }
  }
  return {
    path,
    ...(socket !== undefined ? { socketPath: socket } : {}),
    ...(rules !== undefined ? { rulesPath: rules } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    ...(socketAccess !== undefined ? { socketAccess } : {}),
    engine: {
      ports,
      fullNatAddrs,
      connCapacity,
      ...(fullNatPorts !== undefined ? { fullNatPorts } : {}),
      ...(busyPollUs !== undefined ? { busyPollUs } : {}),
      ...(pollIntervalUs !== undefined ? { pollIntervalUs } : {}),
      ...(jumboSlots !== undefined ? { jumboSlots } : {}),
      ...(kernelFilter !== undefined ? { kernelFilter } : {}),
      ...(Object.keys(defense).length > 0 ? { defense } : {}),
      ...(embryonicPercent !== undefined ? { embryonicPercent } : {}),
      ...(vrrpState !== undefined ? { vrrpState } : {}),
      ...(vrrpNotifyFifo !== undefined ? { vrrpNotifyFifo } : {}),
      ...(sloppyTcp !== undefined ? { sloppyTcp } : {}),
      ...(stateFile !== undefined ? { stateFile } : {}),
      ...(workers !== undefined ? { workers } : {}),
    },
    ruleLines,
  };
}

export async function readConfig(path: string): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TsvsError('ECONFIG', `cannot read config file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseConfig(text, path);
}
