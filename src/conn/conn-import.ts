// Entries carried from another process's state file into this table's columns, before restoreConns
// (conn-restore.ts) checks and rebinds them: what a change of `[engine] workers` needs, when the
// entries of N shard files are dealt to M shards (src/daemon/state-reshard.ts). No kernel
// counterpart: IPVS has one ip_vs_conn_tab per netns and never splits it.
//
// A ConnImport holds `count` entries column by column (the persisted columns of conn-layout.ts,
// or of conn-layout6.ts for the IPv6 table: plain typed arrays that cross postMessage), with
// `control` as an index into the import itself (or -1), since the entries land at other ids here.
// A u128 column holds four words per entry.

import { CONN_COLUMNS, ColumnSource, type ColumnType, type ConnColumn } from './conn-layout.ts';
import { CONN_F_LIVE } from './conn-flags.ts';
import type { ConnColumns } from './conn-columns.ts';

type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

export interface ConnImport {
  count: number;
  /** The persisted columns it holds: CONN_COLUMNS, or CONN6_COLUMNS for the IPv6 table. */
  readonly columns: readonly ConnColumn[];
  /** One array per column name, `count` entries long. */
  readonly cols: Record<string, Column>;
}

function column(src: ColumnSource, name: string, type: ColumnType): Column {
  switch (type) {
    case 'u8':
      return src.u8(name);
    case 'u16':
      return src.u16(name);
    case 'u32':
      return src.u32(name);
    case 'i32':
      return src.i32(name);
    case 'f64':
      return src.f64(name);
    case 'u128':
      return src.u128(name);
  }
}

/** Every persisted column of `capacity` entries in `memory` (a state file's image), by name. */
export function columnsOf(
  memory: ArrayBuffer | null,
  capacity: number,
  columns: readonly ConnColumn[] = CONN_COLUMNS,
): Record<string, Column> {
  const src = new ColumnSource(capacity, memory, columns);
  const cols: Record<string, Column> = {};
  for (const c of columns) cols[c.name] = column(src, c.name, c.type);
  return cols;
}

/** An empty import of `columns` with room for `room` entries. */
export function newImport(room: number, columns: readonly ConnColumn[] = CONN_COLUMNS): ConnImport {
  return { count: 0, columns, cols: columnsOf(null, Math.max(1, room), columns) };
}

/** Copies entry `from` of column `src` to entry `to` of `dst`: one element, or four words for u128. */
function copyEntry(c: ConnColumn, dst: Column, to: number, src: Column, from: number): void {
  if (c.type !== 'u128') dst[to] = src[from]!;
  else for (let i = 0; i < 4; i++) dst[to * 4 + i] = src[from * 4 + i]!;
}

/** Appends entry `id` of `from` (columns by name) to `imp`, its control link set to `control`; its index. */
export function appendEntry(imp: ConnImport, from: Record<string, Column>, id: number, control: number): number {
  const k = imp.count++;
  for (const c of imp.columns) copyEntry(c, imp.cols[c.name]!, k, from[c.name]!, id);
  imp.cols['control']![k] = control;
  imp.cols['nControl']![k] = 0;
  return k;
}

/**
 * Writes the import's entries into free slots (not CONN_F_LIVE) of `table`, the lowest first, and
 * relinks `control` to the slots they landed in. Returns how many did not fit (dropped: the table
 * is full). restoreConns must run next: it rebuilds the indexes, the free list and the counters.
 * `wide`: where the u128 columns live (ConnTable6's side columns), by name.
 */
export function placeImport(table: ConnColumns, imp: ConnImport, wide: Record<string, Uint32Array> = {}): number {
  const cols = { ...(table as unknown as Record<string, Column>), ...wide };
  const flags = table.flags;
  const at = new Int32Array(imp.count).fill(-1);
  let slot = 0;
  let noRoom = 0;
  for (let k = 0; k < imp.count; k++) {
    while (slot < table.capacity && (flags[slot]! & CONN_F_LIVE) !== 0) slot++;
    if (slot === table.capacity) {
      noRoom++;
      continue;
    }
    for (const c of imp.columns) copyEntry(c, cols[c.name]!, slot, imp.cols[c.name]!, k);
    at[k] = slot++;
  }
  for (let k = 0; k < imp.count; k++) {
    const id = at[k]!;
    if (id < 0) continue;
    const ct = imp.cols['control']![k]!;
    // A template that did not fit: the connection stays, uncontrolled (restoreConns cuts -1).
    table.control[id] = ct >= 0 && ct < imp.count ? at[ct]! : -1;
  }
  return noRoom;
}
