// The connection table's persisted layout: the declared list of columns and the header of the
// state file that holds them (no kernel counterpart: IPVS's table lives in the kernel and outlives
// ipvsadm and keepalived by construction; tsvs keeps its columns in a shared mapping instead).
//
//   0      magic "TSVSCONN"          8 bytes
//   8      layout version            u32   CONN_LAYOUT_VERSION
//   12     header bytes              u32   (where the first column may start, before alignment)
//   16     capacity                  u32   entries per column
//   20     column count              u32
//   24     header checksum           u32   FNV-1a over the header with this field as 0
//   28     reserved                  u32
//   32     column descriptors        32 bytes each: name (24, ASCII, zero-padded), type, offset
//   ...    columns, each at a multiple of 64 bytes, capacity x element size
//
// A process attaches to a file only when every byte of the header is what its own layout would
// write: same magic, version, capacity and column list (names, types, offsets), and the checksum
// holds. Adding a column is one line in CONN_COLUMNS and a bump of CONN_LAYOUT_VERSION. The IPv6
// table's file (conn-layout6.ts) is the same scheme with its own magic, version and column list.

/** u128: an IPv6 address, four host-order u32 words per entry (conn-table6.ts). */
export type ColumnType = 'u8' | 'u16' | 'u32' | 'i32' | 'f64' | 'u128';

export interface ConnColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** Bump on any change of CONN_COLUMNS or of a column's meaning. */
export const CONN_LAYOUT_VERSION = 3;

/** Every column of ConnTable that a live connection needs, in file order. */
export const CONN_COLUMNS: readonly ConnColumn[] = [
  { name: 'protocol', type: 'u8' },
  { name: 'caddr', type: 'u32' },
  { name: 'cport', type: 'u16' },
  { name: 'vaddr', type: 'u32' },
  { name: 'vport', type: 'u16' },
  { name: 'daddr', type: 'u32' },
  { name: 'dport', type: 'u16' },
  { name: 'laddr', type: 'u32' },
  { name: 'lport', type: 'u16' },
  { name: 'tsDelta', type: 'i32' },
  { name: 'flags', type: 'u32' },
  { name: 'state', type: 'u8' },
  { name: 'timeoutMs', type: 'u32' },
  { name: 'control', type: 'i32' },
  { name: 'nControl', type: 'i32' },
  { name: 'inPkts', type: 'u32' },
  { name: 'expiresMs', type: 'f64' },
  { name: 'svcProtocol', type: 'u8' },
  { name: 'svcAddr', type: 'u32' },
  { name: 'svcPort', type: 'u16' },
  { name: 'svcFwmark', type: 'u32' },
  { name: 'destPort', type: 'u16' },
  { name: 'spSeqDelta', type: 'i32' },
  { name: 'spTsDelta', type: 'i32' },
  { name: 'spWscale', type: 'u8' },
  { name: 'spSrvAck', type: 'u32' },
  { name: 'spSrvWin', type: 'u32' },
];

/** What a state file holds: its magic (8 ASCII bytes), its layout version and its columns. */
export interface LayoutSpec {
  readonly magic: string;
  readonly version: number;
  readonly columns: readonly ConnColumn[];
}

/** The IPv4 connection table's file. */
export const CONN_SPEC: LayoutSpec = { magic: 'TSVSCONN', version: CONN_LAYOUT_VERSION, columns: CONN_COLUMNS };

const DESC_BYTES = 32;
const NAME_BYTES = 24;
const FIXED_BYTES = 32;
const ALIGN = 64;
const TYPE_CODES: Record<ColumnType, number> = { u8: 1, u16: 2, u32: 3, i32: 4, f64: 5, u128: 6 };
const TYPE_BYTES: Record<ColumnType, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8, u128: 16 };

/** A bare column list stands for CONN_SPEC's magic and version with those columns. */
function specOf(c: readonly ConnColumn[] | LayoutSpec): LayoutSpec {
  return 'columns' in c ? c : { ...CONN_SPEC, columns: c };
}

export interface ConnLayout {
  readonly capacity: number;
  readonly headerBytes: number;
  /** Byte offset of each column by name. */
  readonly offsets: ReadonlyMap<string, number>;
  /** Size of the whole file. */
  readonly totalBytes: number;
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function connLayout(capacity: number, columns: readonly ConnColumn[] = CONN_COLUMNS): ConnLayout {
  const headerBytes = FIXED_BYTES + DESC_BYTES * columns.length;
  const offsets = new Map<string, number>();
  let off = align(headerBytes);
  for (const c of columns) {
    offsets.set(c.name, off);
    off = align(off + capacity * TYPE_BYTES[c.type]);
  }
  return { capacity, headerBytes, offsets, totalBytes: off };
}

function fnv1a(b: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    // The checksum field itself counts as zero.
    h = Math.imul(h ^ (i >= 24 && i < 28 ? 0 : b[i]!), 0x01000193);
  }
  return h >>> 0;
}

/** The header bytes this build writes for `layout`. */
export function encodeHeader(layout: ConnLayout, spec: readonly ConnColumn[] | LayoutSpec = CONN_SPEC): Uint8Array {
  const { magic, version, columns } = specOf(spec);
  const b = new Uint8Array(layout.headerBytes);
  const v = new DataView(b.buffer);
  for (let i = 0; i < magic.length; i++) b[i] = magic.charCodeAt(i);
  v.setUint32(8, version, true);
  v.setUint32(12, layout.headerBytes, true);
  v.setUint32(16, layout.capacity, true);
  v.setUint32(20, columns.length, true);
  columns.forEach((c, k) => {
    const d = FIXED_BYTES + k * DESC_BYTES;
    for (let i = 0; i < c.name.length && i < NAME_BYTES; i++) b[d + i] = c.name.charCodeAt(i);
    v.setUint32(d + NAME_BYTES, TYPE_CODES[c.type], true);
    v.setUint32(d + NAME_BYTES + 4, layout.offsets.get(c.name)!, true);
  });
  v.setUint32(24, fnv1a(b, b.length), true);
  return b;
}

/**
 * Why the header at the start of `file` is not the one this build writes for `layout` (in a
 * sentence for the log), or null when a process may attach.
 */
export function headerMismatch(
  file: Uint8Array,
  layout: ConnLayout,
  spec: readonly ConnColumn[] | LayoutSpec = CONN_SPEC,
): string | null {
  const { magic, version: own, columns } = specOf(spec);
  const want = encodeHeader(layout, spec);
  if (file.length < want.length) return `it is shorter than its header (${file.length} bytes)`;
  const v = new DataView(file.buffer, file.byteOffset, want.length);
  let zero = true;
  for (let i = 0; i < want.length && zero; i++) if (file[i] !== 0) zero = false;
  if (zero) return 'it is new (all zero)';
  for (let i = 0; i < magic.length; i++) if (file[i] !== magic.charCodeAt(i)) return `its magic is not ${magic}`;
  const version = v.getUint32(8, true);
  if (version !== own) return `its layout version is ${version}, this build's is ${own}`;
  const capacity = v.getUint32(16, true);
  if (capacity !== layout.capacity) return `it holds ${capacity} entries, conn-capacity is ${layout.capacity}`;
  const ncols = v.getUint32(20, true);
  if (ncols !== columns.length || v.getUint32(12, true) !== want.length)
    return `its column list differs from this build's (${ncols} columns, this build has ${columns.length})`;
  if (v.getUint32(24, true) !== fnv1a(file, want.length)) return 'its header checksum does not match';
  for (let i = 0; i < want.length; i++) if (file[i] !== want[i]) return "its column list differs from this build's";
  return null;
}

/**
 * Where ConnTable's columns live: views at the layout's offsets in `memory` (a mapped state file),
 * else fresh heap arrays. A column missing from `columns` gets a heap array: it works but does
 * not outlive the process (test/conn/conn-layout.test.ts fails on such a column).
 */
export class ColumnSource {
  private readonly layout: ConnLayout | null;

  constructor(
    readonly capacity: number,
    private readonly memory: ArrayBuffer | null,
    columns: readonly ConnColumn[] = CONN_COLUMNS,
  ) {
    this.layout = memory === null ? null : connLayout(capacity, columns);
    if (memory !== null && memory.byteLength < this.layout!.totalBytes) {
      throw new RangeError(
        `conn state memory of ${memory.byteLength} bytes, the layout needs ${this.layout!.totalBytes}`,
      );
    }
  }

  private at(name: string): number {
    return this.layout?.offsets.get(name) ?? -1;
  }

  u8(name: string): Uint8Array {
    const o = this.at(name);
    return o < 0 ? new Uint8Array(this.capacity) : new Uint8Array(this.memory!, o, this.capacity);
  }

  u16(name: string): Uint16Array {
    const o = this.at(name);
    return o < 0 ? new Uint16Array(this.capacity) : new Uint16Array(this.memory!, o, this.capacity);
  }

  u32(name: string): Uint32Array {
    const o = this.at(name);
    return o < 0 ? new Uint32Array(this.capacity) : new Uint32Array(this.memory!, o, this.capacity);
  }

  i32(name: string): Int32Array {
    const o = this.at(name);
    return o < 0 ? new Int32Array(this.capacity) : new Int32Array(this.memory!, o, this.capacity);
  }

  f64(name: string): Float64Array {
    const o = this.at(name);
    return o < 0 ? new Float64Array(this.capacity) : new Float64Array(this.memory!, o, this.capacity);
  }

  /** A u128 column: four words per entry, entry id at [4 * id .. 4 * id + 3]. */
  u128(name: string): Uint32Array {
    const o = this.at(name);
    const n = this.capacity * 4;
    return o < 0 ? new Uint32Array(n) : new Uint32Array(this.memory!, o, n);
  }
}
