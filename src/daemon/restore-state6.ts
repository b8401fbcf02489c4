// restore-state6: the IPv6 connection table of one engine across a restart: its own state file
// beside the IPv4 one (`<state-file>6`, laid out by src/conn/conn-layout6.ts), attached before the
// engine is built and restored before its first frame by restoreConns6 (src/conn/conn-restore6.ts),
// which rebinds every entry by its 128-bit service, real server and local address; the entries
// dealt from the files of another worker count (state-reshard.ts with CONN6_SPEC) are placed into
// free slots first, as restore-state.ts does for IPv4. Used by the single engine
// (engine-runner.ts) and by each worker thread (engine-worker.ts) for its shard.

import type { Engine } from '../datapath/engine.ts';
import type { EngineConfig } from '../datapath/engine-config.ts';
import type { ServiceTable } from '../model/service-table.ts';
import type { Logger } from '../lib/logger.ts';
import { AF_INET6 } from '../model/dest.ts';
import { serviceKey } from '../model/rule-spec.ts';
import { inet6Fold } from '../lib/inet6.ts';
import { CONN6_SPEC } from '../conn/conn-layout6.ts';
import { restoreConns6 } from '../conn/conn-restore6.ts';
import type { RestoreStats } from '../conn/conn-restore.ts';
import { placeImport, type ConnImport } from '../conn/conn-import.ts';
import { tryLoadNative } from '../io/native-binding.ts';
import { ownsIpv6 } from './kernel-filter.ts';
import { openConnState, type ConnStateFile } from './state-file.ts';

/**
 * Maps the IPv6 table's state file `path` (null: `state-file none`) when the engine has IPv6
 * addresses (an IPv4-only director maps nothing more); null otherwise or when it cannot (logged).
 */
export function openConnState6(
  path: string | null,
  cfg: EngineConfig,
  log: Logger,
  lockWaitMs: number,
): ConnStateFile | null {
  if (path === null || !ownsIpv6(cfg)) return null;
  return openConnState(path, cfg.connCapacity, log, lockWaitMs, tryLoadNative(), CONN6_SPEC);
}

/** The engine's memory6 option for the mapped file, if any. */
export function memory6Of(state6: ConnStateFile | null): { memory6?: ArrayBuffer } {
  return state6 === null ? {} : { memory6: state6.memory };
}

/** restoreConns6's counters and, as StateRestore has them, what was dealt from other files. */
export interface StateRestore6 extends RestoreStats {
  imported: number;
  noRoom: number;
}

/**
 * Restores `engine`'s IPv6 table from its attached file and the entries of `imp`, and logs the
 * counters as the IPv4 ones are logged; null when there is nothing to restore (no file, a fresh
 * one without imports, no IPv6 engine).
 */
export function restoreState6(
  engine: Engine,
  table: ServiceTable,
  state6: ConnStateFile | null,
  imp: ConnImport | null,
  log: Logger,
  nowMs: number,
): StateRestore6 | null {
  const cm = engine.v6?.cm;
  if (cm === undefined || state6 === null || (!state6.attach && (imp === null || imp.count === 0))) return null;
  const t6 = cm.t6;
  const wide = { caddr6: t6.caddr6, vaddr6: t6.vaddr6, daddr6: t6.daddr6, laddr6: t6.laddr6, svcAddr6: t6.svcAddr6 };
  const noRoom = imp === null ? 0 : placeImport(t6.table, imp, wide);
  const restored = restoreConns6(
    cm,
    (proto, addr6, port, fwmark) =>
      table.find({ ...serviceKey(AF_INET6, proto, fwmark !== 0 ? 0 : inet6Fold(addr6), port, fwmark), addr6 }),
    nowMs,
  );
  const st = { ...restored, imported: imp?.count ?? 0, noRoom };
  log.info('IPv6 connections carried over from the state file', { stateFile: state6.path, ...st });
  return st;
}

/** What `tsvsadm --engine` shows of the IPv6 file under stateFile. */
export function stateInfo6(state6: ConnStateFile | null, restored6: StateRestore6 | null): Record<string, unknown> {
  return { path6: state6?.path ?? null, fresh6: state6?.fresh ?? '', restored6 };
}
