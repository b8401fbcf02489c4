// EngineSection: the [engine] section of tsvsd's config file (config-file.ts), one line at a time,
// each key checked with an error naming file and line, then built into an EngineConfig.
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

import { availableParallelism } from 'node:os';
import { MAX_WORKERS, type EngineConfig, type PortConfig, type SloppyTcp } from '../datapath/engine-config.ts';
import type { DefenseSysctls } from '../conn/defense.ts';
import type { Inet6 } from '../lib/inet6.ts';
import { configError, mixedAddrList, parseInterface } from './config-interface.ts';

export const DEFAULT_CONN_CAPACITY = 65536;

/** Config key -> DefenseSysctls field (net.ipv4.vs.<key with _>). */
const DEFENSE_KEYS = {
  'drop-entry': 'dropEntry',
  'drop-packet': 'dropPacket',
  'secure-tcp': 'secureTcp',
  amemthresh: 'amemthresh',
  'am-droprate': 'amDroprate',
} as const;

export class EngineSection {
  private readonly ports: PortConfig[] = [];
  private readonly fullNatAddrs: number[] = [];
  private readonly fullNatAddrs6: Inet6[] = [];
  private connCapacity = DEFAULT_CONN_CAPACITY;
  private fullNatPorts: [number, number] | undefined;
  private busyPollUs: number | undefined;
  private pollIntervalUs: number | undefined;
  private jumboSlots: number | undefined;
  private kernelFilter: boolean | undefined;
  private readonly defense: Partial<DefenseSysctls> = {};
  private embryonicPercent: number | undefined;
  private vrrpState: 'master' | 'backup' | undefined;
  private vrrpNotifyFifo: string | undefined;
  private sloppyTcp: SloppyTcp | undefined;
  private stateFile: string | undefined;
  private workers: number | undefined;

  /** One [engine] line: words are the key and its values, the comment stripped; n its line number. */
  line(path: string, n: number, words: string[]): void {
    const [key, val] = words;
    if (key === 'interface') {
      this.ports.push(parseInterface(path, n, words));
    } else if (key === 'fullnat-address') {
      const [v4, v6] = mixedAddrList(path, n, val, 'fullnat-address');
      this.fullNatAddrs.push(...v4);
      this.fullNatAddrs6.push(...v6);
    } else if (key === 'fullnat-ports') {
      const m = words.length === 2 ? /^(\d{1,5})-(\d{1,5})$/.exec(val ?? '') : null;
      const lo = m === null ? NaN : Number(m[1]);
      const hi = m === null ? NaN : Number(m[2]);
      if (!(lo >= 1 && hi <= 65535 && lo <= hi))
        throw configError(path, n, 'fullnat-ports must be MIN-MAX with 1 <= MIN <= MAX <= 65535');
      this.fullNatPorts = [lo, hi];
    } else if (key === 'busy-poll-us' || key === 'poll-interval-us') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 1000)
        throw configError(path, n, `${key} must be an integer from 0 to 1000`);
      if (key === 'busy-poll-us') this.busyPollUs = v;
      else this.pollIntervalUs = v;
    } else if (key === 'jumbo-slots') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 4096)
        throw configError(path, n, 'jumbo-slots must be an integer from 0 to 4096');
      this.jumboSlots = v;
    } else if (key === 'kernel-filter') {
      if (words.length !== 2 || (val !== 'on' && val !== 'off'))
        throw configError(path, n, 'kernel-filter must be on or off');
      this.kernelFilter = val === 'on';
    } else if (key === 'conn-capacity') {
      const c = Number(val);
      if (!Number.isSafeInteger(c) || c < 1) throw configError(path, n, 'conn-capacity must be a positive integer');
      this.connCapacity = c;
    } else if (key === 'drop-entry' || key === 'drop-packet' || key === 'secure-tcp') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 3)
        throw configError(path, n, `${key} must be 0 (off), 1 (auto), 2 (engaged) or 3 (always)`);
      this.defense[DEFENSE_KEYS[key]] = v;
    } else if (key === 'amemthresh' || key === 'am-droprate') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 0x7fffffff)
        throw configError(path, n, `${key} must be an integer from 0 to 2147483647`);
      this.defense[DEFENSE_KEYS[key]] = v;
    } else if (key === 'embryonic-quota') {
      const v = Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 0 || v > 100)
        throw configError(path, n, 'embryonic-quota must be a percentage from 0 to 100');
      this.embryonicPercent = v;
    } else if (key === 'vrrp-state') {
      if (words.length !== 2 || (val !== 'master' && val !== 'backup'))
        throw configError(path, n, 'vrrp-state must be master or backup (the state tsvsd starts in)');
      this.vrrpState = val;
    } else if (key === 'vrrp-notify-fifo') {
      if (words.length !== 2 || (!val!.startsWith('/') && val!.includes('/')))
        throw configError(
          path,
          n,
          "vrrp-notify-fifo must be an absolute path or a file name beside the control socket (keepalived's notify_fifo)",
        );
      this.vrrpNotifyFifo = val;
    } else if (key === 'sloppy-tcp') {
      if (words.length !== 2 || (val !== 'off' && val !== 'on' && val !== 'consistent'))
        throw configError(path, n, 'sloppy-tcp must be off, on or consistent');
      this.sloppyTcp = val;
    } else if (key === 'state-file') {
      if (words.length !== 2 || (val !== 'none' && !val!.startsWith('/')))
        throw configError(path, n, 'state-file must be an absolute path or none');
      this.stateFile = val;
    } else if (key === 'workers') {
      const v = val === 'auto' ? availableParallelism() : Number(val);
      if (words.length !== 2 || !Number.isInteger(v) || v < 1 || v > MAX_WORKERS)
        throw configError(path, n, `workers must be auto or an integer from 1 to ${MAX_WORKERS}`);
      this.workers = Math.min(v, MAX_WORKERS);
    } else {
      throw configError(
        path,
        n,
        `unknown engine setting ${key} (interface, fullnat-address, fullnat-ports, busy-poll-us, poll-interval-us, jumbo-slots, kernel-filter, conn-capacity, embryonic-quota, drop-entry, drop-packet, secure-tcp, amemthresh, am-droprate, vrrp-state, vrrp-notify-fifo, sloppy-tcp, state-file, workers)`,
      );
    }
  }

  /** The EngineConfig of the lines seen, unset keys left out. */
  build(): EngineConfig {
    return {
      ports: this.ports,
      fullNatAddrs: this.fullNatAddrs,
      connCapacity: this.connCapacity,
      ...(this.fullNatAddrs6.length > 0 ? { fullNatAddrs6: this.fullNatAddrs6 } : {}),
      ...(this.fullNatPorts !== undefined ? { fullNatPorts: this.fullNatPorts } : {}),
      ...(this.busyPollUs !== undefined ? { busyPollUs: this.busyPollUs } : {}),
      ...(this.pollIntervalUs !== undefined ? { pollIntervalUs: this.pollIntervalUs } : {}),
      ...(this.jumboSlots !== undefined ? { jumboSlots: this.jumboSlots } : {}),
      ...(this.kernelFilter !== undefined ? { kernelFilter: this.kernelFilter } : {}),
      ...(Object.keys(this.defense).length > 0 ? { defense: this.defense } : {}),
      ...(this.embryonicPercent !== undefined ? { embryonicPercent: this.embryonicPercent } : {}),
      ...(this.vrrpState !== undefined ? { vrrpState: this.vrrpState } : {}),
      ...(this.vrrpNotifyFifo !== undefined ? { vrrpNotifyFifo: this.vrrpNotifyFifo } : {}),
      ...(this.sloppyTcp !== undefined ? { sloppyTcp: this.sloppyTcp } : {}),
      ...(this.stateFile !== undefined ? { stateFile: this.stateFile } : {}),
      ...(this.workers !== undefined ? { workers: this.workers } : {}),
    };
  }
}
