// neigh-snapshot: the director's resolved neighbours (the MACs of the real servers and of the
// client-side next hops) saved beside the connection state file, so that a tsvsd started after
// `kill -9` forwards the connections it carries over without waiting for ARP. (No kernel file
// mirrored: the kernel's neighbour table, net/core/neighbour.c, lives as long as the machine.)
//
// The connection table is a shared mapping that every store reaches at once (state-file.ts); the
// neighbour tables (ARP's and IPv6's) change a few times a minute, so they are written as a small
// JSON file when one has changed, at most once per SNAPSHOT_EVERY_MS, through a temporary file
// and rename() so that a kill at any moment leaves the previous snapshot or the new one, never
// half of one. A start puts the entries back as STALE (NeighTable.restoreStale): used at once,
// re-confirmed by ARP or neighbour solicitation once a packet used them, as the kernel treats an
// entry it has not confirmed lately.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../lib/logger.ts';
import type { Engine } from '../datapath/engine.ts';
import { isHandedNeighbour, neighboursOf, type HandedNeighbour } from './handover.ts';

/** How often a changed neighbour table is written. */
export const SNAPSHOT_EVERY_MS = 1000;

const FORMAT = 'tsvs-neigh-1';

/** The snapshot's path: the state file's, with `.neigh` appended. */
export function neighSnapshotPath(stateFile: string): string {
  return `${stateFile}.neigh`;
}

/** Writes the resolved neighbours of `engine` to `path` atomically. */
export function saveNeighbours(path: string, engine: Engine): number {
  const list = neighboursOf(engine);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ format: FORMAT, neighbours: list })}\n`, { mode: 0o640 });
  renameSync(tmp, path);
  return list.length;
}

/**
 * The neighbours saved at `path`; [] (logged) when there is none or it cannot be used: a
 * snapshot only saves ARP requests, so a bad one is never a reason not to start.
 */
export function loadNeighbours(path: string, log: Logger): HandedNeighbour[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') log.warn('neighbour snapshot unreadable; resolving anew', { path, error: code });
    return [];
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = null;
  }
  const doc = v as { format?: unknown; neighbours?: unknown } | null;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    doc.format !== FORMAT ||
    !Array.isArray(doc.neighbours) ||
    !doc.neighbours.every(isHandedNeighbour)
  ) {
    log.warn(`neighbour snapshot is not a ${FORMAT} file; resolving anew`, { path });
    return [];
  }
  return doc.neighbours as HandedNeighbour[];
}

/**
 * Writes the snapshot whenever the neighbour table has changed, checked every SNAPSHOT_EVERY_MS;
 * the returned function stops it after a last write (a stop that is not a kill saves the latest).
 */
export function snapshotNeighbours(path: string, engine: Engine, log: Logger): () => void {
  // Both tables, IPv4's and IPv6's: their versions only grow, so a change shows in the sum.
  const version = (): number => engine.xmit.neigh.version + (engine.v6?.x6.neigh.version ?? 0);
  let saved = -1;
  let failed = false;
  const save = (): void => {
    const v = version();
    if (v === saved) return;
    try {
      saveNeighbours(path, engine);
      saved = v;
      failed = false;
    } catch (e) {
      if (!failed) log.warn('cannot write the neighbour snapshot', { path, error: (e as Error).message });
      failed = true;
    }
  };
  save();
  const timer = setInterval(save, SNAPSHOT_EVERY_MS).unref();
  return () => {
    clearInterval(timer);
    save();
  };
}
