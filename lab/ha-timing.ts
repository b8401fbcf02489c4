// ha-timing: where a failover's time goes, from the HA lab's own records (lab/ha-lab.ts): when
// lvs2's keepalived declared itself MASTER (its notify FIFO reader logs each state as it reads
// it), when lvs2's tsvsd took the VIP (its `vrrp state MASTER` log line, written after the
// gratuitous ARPs went out), and when a new client was answered again (the probe). And how soon a
// new connection reaches the backup: both directors' tables watched over their control sockets.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/wire/client.ts';
import type { ConnInfo } from '../src/wire/wire.ts';
import type { HaDirector } from './ha-director.ts';

/** Milliseconds after the kill at which each step happened (-1: not found in the logs). */
export interface TakeoverPhases {
  /** lvs2's keepalived declared MASTER: the master down interval, 3 x advert_int + skew. */
  readonly keepalivedMs: number;
  /** lvs2's tsvsd answered for the VIP and had sent its gratuitous ARPs. */
  readonly tsvsdMs: number;
  /** The first new connection answered after the kill (the probe's stall end). */
  readonly firstAnswerMs: number;
}

/** The time of the last `vrrp state MASTER` line in a director's tsvsd log (logfmt or JSON time). */
function tsvsdMasterAtMs(d: HaDirector): number {
  let text: string;
  try {
    text = readFileSync(join(d.dir, 'tsvsd.log'), 'utf8');
  } catch {
    return -1;
  }
  const line = text
    .split('\n')
    .filter((l) => l.includes('vrrp state MASTER'))
    .at(-1);
  const time = line === undefined ? undefined : /"?time"?[=:]"?([0-9T:.+\-Z]+)"?/.exec(line)?.[1];
  return time === undefined ? -1 : Date.parse(time);
}

export function takeoverPhases(lvs2: HaDirector, killedAtMs: number, stallEndMs: number): TakeoverPhases {
  const master = lvs2.notifies().filter((n) => n.state === 'MASTER' && n.atMs >= killedAtMs)[0];
  const tsvsd = tsvsdMasterAtMs(lvs2);
  return {
    keepalivedMs: master === undefined ? -1 : master.atMs - killedAtMs,
    tsvsdMs: tsvsd < killedAtMs ? -1 : tsvsd - killedAtMs,
    firstAnswerMs: stallEndMs < killedAtMs ? -1 : stallEndMs - killedAtMs,
  };
}

/** One connection first listed ESTABLISHED by the master, then by the backup (epoch ms). */
export interface SyncSeen {
  readonly cport: number;
  readonly masterMs: number;
  backupMs: number;
}

const key = (c: ConnInfo): number => c.cport;

/**
 * A connection counts once the master has listed it ESTABLISHED for this long: the probes' new
 * connections (one request each) are gone within milliseconds, keep-alive ones stay.
 */
export const STABLE_MS = 300;

/**
 * Watches both directors' tables every few ms until `count` connections that neither listed at
 * the start have been ESTABLISHED on the master for STABLE_MS and, unless `until` is 'master', are
 * listed by the backup (or until timeoutMs). masterMs is when the master first listed one. The
 * control requests are in-process: the watch adds no process start to what it measures.
 */
export async function watchSync(
  master: HaDirector,
  backup: HaDirector,
  count: number,
  timeoutMs: number,
  until: 'master' | 'backup' = 'backup',
): Promise<SyncSeen[]> {
  const a = await ControlClient.connect(master.socket);
  const b = await ControlClient.connect(backup.socket);
  try {
    const list = async (c: ControlClient): Promise<ConnInfo[]> =>
      (await c.request<ConnInfo[]>('conns')).filter((x) => x.state === 'ESTABLISHED' && x.vport === 80);
    const old = new Set([...(await list(a)), ...(await list(b))].map(key));
    let seen = new Map<number, SyncSeen>();
    const deadline = Date.now() + timeoutMs;
    const stable = (now: number): SyncSeen[] => [...seen.values()].filter((s) => now - s.masterMs >= STABLE_MS);
    for (;;) {
      const [onA, onB] = await Promise.all([list(a), list(b)]);
      const now = Date.now();
      const next = new Map<number, SyncSeen>();
      for (const c of onA)
        if (!old.has(key(c))) next.set(key(c), seen.get(key(c)) ?? { cport: c.cport, masterMs: now, backupMs: 0 });
      seen = next; // a connection the master no longer lists is dropped
      for (const c of onB) {
        const s = seen.get(key(c));
        if (s !== undefined && s.backupMs === 0) s.backupMs = now;
      }
      const ok = stable(now);
      if (ok.length >= count && (until === 'master' || ok.every((s) => s.backupMs > 0))) return ok;
      if (now > deadline) return ok;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    a.close();
    b.close();
  }
}
