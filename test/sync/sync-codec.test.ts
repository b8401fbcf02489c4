import t from 'tap';
import { connV4Len, writeConnV4, writeMesgHeader } from '../../src/sync/sync-codec.ts';
import { SyncEntry, SyncHeader } from '../../src/sync/sync-entry.ts';
import {
  readConn,
  readMesgHeader,
  SYNC_E_LEN,
  SYNC_E_OPT_LEN,
  SYNC_E_SEQ,
  SYNC_E_SHORT,
  SYNC_E_TYPE,
  SYNC_SKIP_MANDATORY,
} from '../../src/sync/sync-read.ts';

// Golden bytes written by hand from the C structs of net/netfilter/ipvs/ip_vs_sync.c (Linux 6.x):
// struct ip_vs_sync_mesg { __u8 reserved; __u8 syncid; __be16 size; __u8 nr_conns; __s8 version;
// __u16 spare; } and struct ip_vs_sync_v4 { __u8 type; __u8 protocol; __be16 ver_size; __be32
// flags; __be16 state; __be16 cport, vport, dport; __be32 fwmark; __be32 timeout; __be32 caddr,
// vaddr, daddr; }, no padding inside (every field at its natural alignment).
// The connection: TCP 10.0.0.1:40000 -> VIP 192.168.88.5:80 -> real server 192.168.99.100:8080,
// masquerading (fwd 0), active (no INACTIVE), state ESTABLISHED (1), timeout 900 s.
// prettier-ignore
const GOLDEN_V4 = Buffer.from([
  // header: reserved 0, syncid 7, size 44 (8 + 36), nr_conns 1, version 1, spare 0
  0x00, 0x07, 0x00, 0x2c, 0x01, 0x01, 0x00, 0x00,
  // type 0 (IPv4), protocol 6 (TCP), ver_size 0x0024 (version 0, size 36)
  0x00, 0x06, 0x00, 0x24,
  // flags 0x00000000 (IP_VS_CONN_F_MASQ)
  0x00, 0x00, 0x00, 0x00,
  // state 1 (IP_VS_TCP_S_ESTABLISHED), cport 40000 (0x9c40)
  0x00, 0x01, 0x9c, 0x40,
  // vport 80, dport 8080 (0x1f90)
  0x00, 0x50, 0x1f, 0x90,
  // fwmark 0
  0x00, 0x00, 0x00, 0x00,
  // timeout 900 s (0x384)
  0x00, 0x00, 0x03, 0x84,
  // caddr 10.0.0.1
  0x0a, 0x00, 0x00, 0x01,
  // vaddr 192.168.88.5
  0xc0, 0xa8, 0x58, 0x05,
  // daddr 192.168.99.100
  0xc0, 0xa8, 0x63, 0x64,
]);

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

t.test('an IPv4 entry and its header are the bytes of struct ip_vs_sync_mesg and ip_vs_sync_v4', async (t) => {
  const buf = Buffer.alloc(64, 0xee);
  writeMesgHeader(buf, 0, 7, 44, 1);
  const n = writeConnV4(
    buf,
    8,
    6,
    0,
    1,
    40000,
    80,
    8080,
    0,
    900,
    ip(10, 0, 0, 1),
    ip(192, 168, 88, 5),
    ip(192, 168, 99, 100),
    false,
    0,
    0,
    0,
  );
  t.equal(n, 36);
  t.same([...buf.subarray(0, 44)], [...GOLDEN_V4]);
});

t.test('the full NAT extension is an optional parameter (0x40 set) after the entry, counted in ver_size', async (t) => {
  const buf = Buffer.alloc(64);
  const n = writeConnV4(buf, 0, 6, 7, 1, 40000, 80, 8080, 0, 900, 1, 2, 3, true, ip(192, 168, 99, 6), 1024, -5);
  t.equal(n, 48);
  t.equal(connV4Len(true), 48);
  t.same([...buf.subarray(2, 4)], [0x00, 0x30], 'ver_size 48');
  // type 0x50 = IPVS_OPT_F_PARAM | 0x10, len 10, laddr 192.168.99.6, lport 1024, ts delta -5
  t.same([...buf.subarray(36, 48)], [0x50, 0x0a, 0xc0, 0xa8, 0x63, 0x06, 0x04, 0x00, 0xff, 0xff, 0xff, 0xfb]);
});

t.test('the reader takes the golden message back field by field', async (t) => {
  const h = new SyncHeader();
  t.equal(readMesgHeader(GOLDEN_V4, 0, GOLDEN_V4.length, h), 0);
  t.match(h, { syncid: 7, size: 44, nrConns: 1, v1: true });
  const e = new SyncEntry();
  t.equal(readConn(GOLDEN_V4, 8, 44, e), 0);
  t.match(e, {
    next: 44,
    protocol: 6,
    flags: 0,
    state: 1,
    cport: 40000,
    vport: 80,
    dport: 8080,
    fwmark: 0,
    timeoutSec: 900,
    caddr: ip(10, 0, 0, 1),
    vaddr: ip(192, 168, 88, 5),
    daddr: ip(192, 168, 99, 100),
    hasSeq: false,
    hasFullNat: false,
  });
});

t.test('a header whose size is not the datagram length is refused; a v0 header is told apart', async (t) => {
  const h = new SyncHeader();
  t.equal(readMesgHeader(GOLDEN_V4, 0, 43, h), -1, 'truncated datagram');
  t.equal(readMesgHeader(GOLDEN_V4, 0, 3, h), -1, 'shorter than a header');
  const v0 = Buffer.from(GOLDEN_V4);
  v0[5] = 0; // version 0: ip_vs_process_message parses it as v0
  t.equal(readMesgHeader(v0, 0, v0.length, h), 0);
  t.equal(h.v1, false);
  t.equal(h.nrConns, 0, 'v0 reads nr_conns from byte 0, which a v1 header keeps at 0');
});

/** The golden entry with bytes changed, and `extra` options appended (ver_size adjusted). */
function variant(edit: (b: Buffer) => void, extra: number[] = []): Buffer {
  const b = Buffer.concat([GOLDEN_V4, Buffer.from(extra)]);
  b.writeUInt16BE(36 + extra.length, 10);
  b.writeUInt16BE(b.length, 2);
  edit(b);
  return b;
}

t.test('malformed entries give the kernel codes: drop the rest, or skip one entry', async (t) => {
  const e = new SyncEntry();
  const cases: [string, Buffer, number][] = [
    ['entry cut short', GOLDEN_V4.subarray(0, 40), SYNC_E_SHORT],
    ['ver_size past the end', variant((b) => b.writeUInt16BE(200, 10)), SYNC_E_SHORT],
    ['version nibble 1', variant((b) => b.writeUInt16BE(0x1024, 10)), SYNC_E_SHORT],
    ['unknown type 2', variant((b) => (b[8] = 2)), SYNC_E_TYPE],
    ['size below the base entry', variant((b) => b.writeUInt16BE(20, 10)), SYNC_E_LEN],
    ['option of length 0', variant(() => {}, [0x41, 0x00, 0, 0]), SYNC_E_OPT_LEN],
    ['option past the entry', variant(() => {}, [0x41, 0x09, 0, 0]), SYNC_E_OPT_LEN],
    ['SEQ_DATA of 4 bytes', variant(() => {}, [0x01, 0x04, 1, 2, 3, 4]), SYNC_E_SEQ],
    ['STYPE_F_INET6 on 36 bytes (an IPv6 entry needs 72)', variant((b) => (b[8] = 1)), SYNC_E_LEN],
    ['unknown mandatory option 9', variant(() => {}, [0x09, 0x02, 0, 0]), SYNC_SKIP_MANDATORY],
  ];
  for (const [what, buf, code] of cases) t.equal(readConn(buf, 8, buf.length, e), code, what);
});

t.test('an unknown optional parameter is skipped and the entry kept, as a kernel keeps ours', async (t) => {
  const e = new SyncEntry();
  const b = variant(() => {}, [0x7f, 0x02, 0xaa, 0xbb]);
  t.equal(readConn(b, 8, b.length, e), 0);
  t.equal(e.next, 48);
  const seq = variant(() => {}, [0x01, 24, ...Array.from({ length: 24 }, (_, i) => i)]);
  t.equal(readConn(seq, 8, seq.length, e), 0);
  t.equal(e.hasSeq, true);
  t.equal(e.seq[0], 0x00010203);
});
