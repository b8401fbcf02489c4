// restore-state: the connection table of one engine rebuilt before its first frame, from its own
// attached state file and from the entries dealt to it from the files of another worker count
// (state-reshard.ts): those are written into free slots first, then restoreConns checks and
// rebinds them all alike (src/conn/conn-restore.ts). Used by the single engine (engine-runner.ts)
// and by each worker thread (engine-worker.ts).

import type { Engine } from '../datapath/engine.ts';
import type { ServiceTable } from '../model/service-table.ts';
import { serviceKey } from '../model/rule-spec.ts';
import { AF_INET } from '../model/dest.ts';
import { restoreConns, type RestoreStats } from '../conn/conn-restore.ts';
import { placeImport, type ConnImport } from '../conn/conn-import.ts';

export interface StateRestore extends RestoreStats {
  /** Entries dealt from the files of another worker count, and those that found no free slot. */
  imported: number;
  noRoom: number;
}

/**
 * Restores `engine`'s table from its attached file (`attach`) and the entries of `imp`; null when
 * there is neither (a table that starts empty).
 */
export function restoreState(
  engine: Engine,
  table: ServiceTable,
  attach: boolean,
  imp: ConnImport | null,
  nowMs: number,
): StateRestore | null {
  if (!attach && (imp === null || imp.count === 0)) return null;
  const noRoom = imp === null ? 0 : placeImport(engine.conns.table, imp);
  const st = restoreConns(
    engine.conns,
    (proto, addr, port, fwmark) => table.find(serviceKey(AF_INET, proto, addr, port, fwmark)),
    nowMs,
  );
  return { ...st, imported: imp?.count ?? 0, noRoom };
}
