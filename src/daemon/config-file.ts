// The tsvsd configuration file (default /etc/tsvs/tsvsd.conf): INI-like sections, '#' comments.
//
//   [daemon]                       # optional; command-line flags win
//   socket /run/tsvs/tsvsd.sock
//   rules /var/lib/tsvs/rules
//   log-level info                 # debug | info | warn | error
//   socket-group tsvs              # operators' group may use tsvsadm (config-daemon.ts)
//   socket-mode 0660
//
//   [engine]                       # for the packet engine (config-engine.ts; see EngineConfig)
//   interface eth0 owned 192.168.88.5 subnet 192.168.88.0/24 gateway 192.168.88.1
//   interface eth1 subnet 192.168.99.0/24
//   interface eth0 owned 2001:db8:88::5 subnet 2001:db8:88::/64   # IPv6 too (config-interface.ts)
//   fullnat-address 192.168.99.250,2001:db8:99::250  # IPv6 ones serve IPv6 services' -F servers
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
//   state-file /run/tsvs/tsvsd.conn-state  # the connection table's file, PATH6 the IPv6 table's
//                                           #   (none = in memory only)
//   workers 1                      # data-path threads, 1 to 64 or auto (one per usable CPU);
//                                  #   1 runs the data path on the main thread (src/daemon/engine-workers.ts)
//
//   [rules]                        # ipvsadm -S lines, re-asserted on every start and SIGHUP
//   -A -t 192.168.88.5:80 -s rr
//   -a -t 192.168.88.5:80 -r 192.168.99.100:80 -m -w 1
//
// `owned`, `subnet` and `fullnat-address` take comma-separated lists and may repeat.

import { readFile } from 'node:fs/promises';
import { TsvsError } from '../lib/errors.ts';
import type { RuleLine } from '../model/rules-format.ts';
import { splitRuleLines } from '../model/rules-format.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import { isLevel, type Level } from '../lib/logger.ts';
import { isSocketAccessKey, parseSocketAccess, type SocketAccess } from './config-daemon.ts';
import { configError } from './config-interface.ts';
import { EngineSection } from './config-engine.ts';

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
  const engine = new EngineSection();
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
    } else {
      engine.line(path, n, words);
    }
  }
  return {
    path,
    ...(socket !== undefined ? { socketPath: socket } : {}),
    ...(rules !== undefined ? { rulesPath: rules } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
    ...(socketAccess !== undefined ? { socketAccess } : {}),
    engine: engine.build(),
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
