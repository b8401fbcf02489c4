// The IPv6 table's state file layout (src/conn/conn-layout6.ts): the IPv4 columns plus the 128-bit
// ones, under the header scheme of conn-layout.ts with its own magic and version.
import t from 'tap';
import {
  CONN_LAYOUT_VERSION,
  CONN_SPEC,
  connLayout,
  encodeHeader,
  headerMismatch,
} from '../../src/conn/conn-layout.ts';
import { CONN6_COLUMNS, CONN6_SPEC, CONN6_WIDE_COLUMNS } from '../../src/conn/conn-layout6.ts';
import { ConnTable6 } from '../../src/conn/conn-table6.ts';

t.test(
  'every per-connection column of ConnTable6 is in the IPv6 layout, except the per-process next hops',
  async (t) => {
    const cap = 37; // a length no other array of the table has
    const t6 = new ConnTable6({ capacity: cap });
    const declared = new Set([...CONN6_COLUMNS.map((c) => c.name), 'freeNext', 'hopIn', 'hopOut']);
    const perEntry = (o: object): [string, unknown][] =>
      Object.entries(o).filter(([, v]) => ArrayBuffer.isView(v) && [cap, cap * 4].includes((v as Uint8Array).length));
    const columns = [...perEntry(t6), ...perEntry(t6.table)];
    t.ok(columns.length >= CONN6_COLUMNS.length, 'found the columns');
    for (const [name] of columns) t.ok(declared.has(name), `${name} is declared in CONN6_COLUMNS`);
    const bytes = connLayout(cap, CONN6_COLUMNS).totalBytes;
    const mapped = new ConnTable6({ capacity: cap, memory: new ArrayBuffer(bytes) });
    for (const c of CONN6_COLUMNS) {
      const on = CONN6_WIDE_COLUMNS.includes(c) ? mapped : mapped.table;
      const v = (on as unknown as Record<string, Uint8Array>)[c.name];
      t.ok(v !== undefined && v.buffer.byteLength === bytes, `${c.name} is a view on the memory`);
    }
  },
);

t.test('a 128-bit column takes 16 bytes per entry', async (t) => {
  const l = connLayout(100, CONN6_COLUMNS);
  const at = (n: string): number => l.offsets.get(n)!;
  t.ok(at('vaddr6') - at('caddr6') >= 1600, 'caddr6 holds 100 x 16 bytes');
  t.equal(at('vaddr6') % 64, 0);
});

t.test('the IPv6 header has its own magic and a version that carries the IPv4 one', async (t) => {
  const l6 = connLayout(128, CONN6_COLUMNS);
  const h6 = encodeHeader(l6, CONN6_SPEC);
  t.equal(new TextDecoder().decode(h6.subarray(0, 8)), 'TSVSCON6');
  t.equal(new DataView(h6.buffer).getUint32(8, true), (CONN_LAYOUT_VERSION << 8) | 1);
  t.equal(headerMismatch(h6, l6, CONN6_SPEC), null);
  t.equal(headerMismatch(new Uint8Array(h6.length), l6, CONN6_SPEC), 'it is new (all zero)');
  const v4 = encodeHeader(connLayout(128), CONN_SPEC);
  const file = new Uint8Array(h6.length);
  file.set(v4);
  t.equal(headerMismatch(file, l6, CONN6_SPEC), 'its magic is not TSVSCON6', 'an IPv4 file is not an IPv6 one');
  t.equal(headerMismatch(h6, connLayout(128), CONN_SPEC), 'its magic is not TSVSCONN', 'nor the other way');
  const older = Uint8Array.from(h6);
  new DataView(older.buffer).setUint32(8, (CONN_LAYOUT_VERSION << 8) | 0, true);
  t.equal(
    headerMismatch(older, l6, CONN6_SPEC),
    `its layout version is ${CONN_LAYOUT_VERSION << 8}, this build's is ${(CONN_LAYOUT_VERSION << 8) | 1}`,
  );
  t.equal(headerMismatch(h6, connLayout(64, CONN6_COLUMNS), CONN6_SPEC), 'it holds 128 entries, conn-capacity is 64');
});
