// engine-reload: which [engine] settings a reload can change in a running packet engine:
// kernel-filter (the nft table is installed or removed, kernel-filter.ts), sloppy-tcp (two
// flags read per new connection, as the kernel's sysctl is read per packet) and busy-poll-us (the
// native loop reads its busy-poll window at each wakeup, native/loop.c). Every other key is fixed
// when the engine starts: the interfaces and their addresses, the full-NAT pool and the
// connection table are built once, and poll-interval-us and jumbo-slots are options of the
// AF_PACKET rings and their native loop, given when the rings are opened. A change to one of those
// is refused with a log line naming the key, and takes effect at the next start.

import { isDeepStrictEqual } from 'node:util';
import type { EngineConfig } from '../datapath/engine-config.ts';

/** The config file's name of each EngineConfig field (config-file.ts). */
const KEY_NAMES: Readonly<Record<string, string>> = {
  ports: 'interface',
  fullNatAddrs: 'fullnat-address',
  fullNatAddrs6: 'fullnat-address',
  fullNatPorts: 'fullnat-ports',
  connCapacity: 'conn-capacity',
  busyPollUs: 'busy-poll-us',
  pollIntervalUs: 'poll-interval-us',
  kernelFilter: 'kernel-filter',
  embryonicPercent: 'embryonic-quota',
  sloppyTcp: 'sloppy-tcp',
};

/** The fields a running engine applies on reload. */
export const LIVE_ENGINE_KEYS: ReadonlySet<string> = new Set(['kernelFilter', 'sloppyTcp', 'busyPollUs']);

/** config-file.ts's name for an EngineConfig field; fields it does not list are kebab-cased. */
export function engineKeyName(field: string): string {
  return KEY_NAMES[field] ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export interface EngineConfigDiff {
  /** Fields that differ and can change live. */
  readonly live: readonly string[];
  /** Fields that differ and change at the next start only. */
  readonly refused: readonly string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields of `next` that differ from `running`, split into live and next-start ones. */
export function diffEngineConfig(running: EngineConfig, next: EngineConfig): EngineConfigDiff {
  const live: string[] = [];
  const refused: string[] = [];
  const a = running as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const f of fields) {
    if (isDeepStrictEqual(a[f], b[f])) continue;
    const x = a[f];
    const y = b[f];
    if (isRecord(x) || isRecord(y)) {
      // A group of settings (e.g. the defence sysctls): each changed member by its own key.
      const ox = isRecord(x) ? x : {};
      const oy = isRecord(y) ? y : {};
      for (const k of new Set([...Object.keys(ox), ...Object.keys(oy)]))
        if (!isDeepStrictEqual(ox[k], oy[k])) (LIVE_ENGINE_KEYS.has(k) ? live : refused).push(k);
      continue;
    }
    (LIVE_ENGINE_KEYS.has(f) ? live : refused).push(f);
  }
  return { live, refused };
}

/** The log message for a refused key, e.g. "reload: [engine] conn-capacity changes at the next start only". */
export function refusedMessage(field: string): string {
  return `reload: [engine] ${engineKeyName(field)} changes at the next start only`;
}
