import t from 'tap';
import {
  CONN_COLUMNS,
  CONN_LAYOUT_VERSION,
  connLayout,
  encodeHeader,
  headerMismatch,
} from '../../src/conn/conn-layout.ts';
import { ConnTable } from '../../src/conn/conn-table.ts';

t.test('every per-connection column of ConnTable is in the declared layout, so it outlives the process', async (t) => {
  const cap = 37; // a length no other array of the table has
  const table = new ConnTable({ capacity: cap });
  // freeNext is derived from the LIVE flags and rebuilt by restoreConns (rebuildFreeList).
  const declared = new Set([...CONN_COLUMNS.map((c) => c.name), 'freeNext']);
  const columns = Object.entries(table).filter(([, v]) => ArrayBuffer.isView(v) && (v as Uint8Array).length === cap);
  t.ok(columns.length >= CONN_COLUMNS.length, 'found the columns');
  for (const [name] of columns) t.ok(declared.has(name), `${name} is declared in CONN_COLUMNS`);
  const mapped = new ConnTable({ capacity: cap, memory: new ArrayBuffer(connLayout(cap).totalBytes) });
  for (const c of CONN_COLUMNS) {
    const v = (mapped as unknown as Record<string, Uint8Array>)[c.name];
    t.ok(v !== undefined && v.buffer.byteLength === connLayout(cap).totalBytes, `${c.name} is a view on the memory`);
  }
});

t.test('columns do not overlap and start on 64-byte boundaries after the header', async (t) => {
  const l = connLayout(1000);
  const offs = [...l.offsets.values()];
  t.ok(offs[0]! >= l.headerBytes);
  t.same(
    offs.filter((o) => o % 64 !== 0),
    [],
  );
  t.ok(
    offs.every((o, i) => i === 0 || o >= offs[i - 1]! + 1000),
    'each column after the previous one',
  );
  t.ok(l.totalBytes >= offs[offs.length - 1]! + 1000);
});

t.test('a header is accepted only as this build writes it', async (t) => {
  const l = connLayout(128);
  const good = encodeHeader(l);
  t.equal(headerMismatch(good, l), null);
  t.equal(headerMismatch(new Uint8Array(good.length), l), 'it is new (all zero)');
  const bad = (at: number, v: number): Uint8Array => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };
  const magic = good.slice();
  magic[0] = 0x58;
  t.equal(headerMismatch(magic, l), 'its magic is not TSVSCONN');
  t.equal(
    headerMismatch(bad(8, CONN_LAYOUT_VERSION + 1), l),
    `its layout version is ${CONN_LAYOUT_VERSION + 1}, this build's is ${CONN_LAYOUT_VERSION}`,
  );
  t.equal(headerMismatch(bad(16, 256), l), 'it holds 256 entries, conn-capacity is 128');
  const flipped = good.slice();
  flipped[40] = flipped[40]! ^ 1; // a letter of the first column's name
  t.equal(headerMismatch(flipped, l), 'its header checksum does not match');
  t.equal(headerMismatch(good.subarray(0, 10), l), 'it is shorter than its header (10 bytes)');
  const other = [...CONN_COLUMNS, { name: 'seqDelta', type: 'i32' as const }];
  t.equal(
    headerMismatch(encodeHeader(connLayout(128, other), other), l),
    `its column list differs from this build's (${other.length} columns, this build has ${CONN_COLUMNS.length})`,
    'a column added without a version bump is still refused',
  );
  const renamed = CONN_COLUMNS.map((c) => (c.name === 'inPkts' ? { ...c, name: 'inPktz' } : c));
  t.equal(
    headerMismatch(encodeHeader(connLayout(128, renamed), renamed), l),
    "its column list differs from this build's",
  );
});
