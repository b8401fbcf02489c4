// IPv6 entries of the sync protocol (struct ip_vs_sync_v6): the writer against bytes written by
// hand from the kernel's struct, the reader taking them back, and the IPv6 full NAT option.
import t from 'tap';
import { connV6Len, writeConnV4, writeConnV6, writeMesgHeader } from '../../src/sync/sync-codec.ts';
import { SyncEntry, SyncHeader } from '../../src/sync/sync-entry.ts';
import { readConn, readMesgHeader, SYNC_E_LEN, SYNC_E_SHORT } from '../../src/sync/sync-read.ts';

// Golden bytes written by hand from net/netfilter/ipvs/ip_vs_sync.c (Linux 6.x): struct
// ip_vs_sync_mesg (8 B), then struct ip_vs_sync_v6 { __u8 type; __u8 protocol; __be16 ver_size;
// __be32 flags; __be16 state; __be16 cport, vport, dport; __be32 fwmark; __be32 timeout; struct
// in6_addr caddr, vaddr, daddr; } = 24 + 3 * 16 = 72 bytes, no padding inside. ip_vs_sync_conn
// sets type = STYPE_F_INET6 (1 << STYPE_INET6 = 1) for cp->af == AF_INET6 and copies the
// in6_addr fields as they are (network order).
// The connection: TCP [2001:db8::10]:40000 -> VIP [2001:db8:88::5]:80 -> real server
// [2001:db8:99::100]:8080, masquerading, ESTABLISHED (1), INACTIVE clear, timeout 900 s.
// prettier-ignore
const GOLDEN_V6 = Buffer.from([
  // header: reserved 0, syncid 7, size 80 (8 + 72), nr_conns 1, version 1, spare 0
  0x00, 0x07, 0x00, 0x50, 0x01, 0x01, 0x00, 0x00,
  // type 1 (STYPE_F_INET6), protocol 6, ver_size 0x0048 (version 0, size 72)
  0x01, 0x06, 0x00, 0x48,
  // flags 0x00000000 (IP_VS_CONN_F_MASQ)
  0x00, 0x00, 0x00, 0x00,
  // state 1 (ESTABLISHED), cport 40000 (0x9c40)
  0x00, 0x01, 0x9c, 0x40,
  // vport 80, dport 8080 (0x1f90)
  0x00, 0x50, 0x1f, 0x90,
  // fwmark 0
  0x00, 0x00, 0x00, 0x00,
  // timeout 900 s
  0x00, 0x00, 0x03, 0x84,
  // caddr 2001:db8::10
  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
  // vaddr 2001:db8:88::5
  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
  // daddr 2001:db8:99::100
  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
]);

// The same addresses as host-order words, written here by hand (not parsed by the code under test).
const CADDR = [0x20010db8, 0, 0, 0x10];
const VADDR = [0x20010db8, 0x00880000, 0, 5];
const DADDR = [0x20010db8, 0x00990000, 0, 0x100];
const LADDR = [0x20010db8, 0x00990000, 0, 0x250];

/** Columns as a ConnTable6 holds them, the entry at id 1 (k = 4): the writer must read at k. */
function column(words: number[]): Uint32Array {
  const c = new Uint32Array(12).fill(0xdeadbeef);
  c.set(words, 4);
  return c;
}

t.test('an IPv6 entry and its header are the bytes of struct ip_vs_sync_mesg and ip_vs_sync_v6', async (t) => {
  const buf = Buffer.alloc(96, 0xee);
  writeMesgHeader(buf, 0, 7, 80, 1);
  const c = column(CADDR);
  const v = column(VADDR);
  const d = column(DADDR);
  const n = writeConnV6(buf, 8, 6, 0, 1, 40000, 80, 8080, 0, 900, c, v, d, 4, false, c, 0, 0);
  t.equal(n, 72);
  t.equal(connV6Len(false), 72);
  t.same([...buf.subarray(0, 80)], [...GOLDEN_V6]);
  t.equal(buf[80], 0xee, 'nothing written past the entry');
});

t.test('the reader takes the golden IPv6 message back field by field', async (t) => {
  const h = new SyncHeader();
  t.equal(readMesgHeader(GOLDEN_V6, 0, GOLDEN_V6.length, h), 0);
  t.match(h, { syncid: 7, size: 80, nrConns: 1, v1: true });
  const e = new SyncEntry();
  t.equal(readConn(GOLDEN_V6, 8, 80, e), 0);
  t.match(e, { next: 80, inet6: true, protocol: 6, flags: 0, state: 1, cport: 40000, vport: 80, dport: 8080 });
  t.match(e, { fwmark: 0, timeoutSec: 900, hasSeq: false, hasFullNat: false });
  t.same([...e.caddr6], CADDR);
  t.same([...e.vaddr6], VADDR);
  t.same([...e.daddr6], DADDR);
  t.equal(e.caddr, (0x20010db8 ^ 0x10) >>> 0, 'caddr holds the fold the IPv6 table hashes');
  t.equal(e.daddr, (0x20010db8 ^ 0x00990000 ^ 0x100) >>> 0);
});

t.test('the IPv6 full NAT extension is an optional parameter 0x51 of 22 bytes after the entry', async (t) => {
  const buf = Buffer.alloc(128);
  const c = column(CADDR);
  const l = column(LADDR);
  const n = writeConnV6(buf, 0, 6, 7, 1, 40000, 80, 8080, 0, 900, c, c, c, 4, true, l, 1024, -5);
  t.equal(n, 96);
  t.same([...buf.subarray(2, 4)], [0x00, 0x60], 'ver_size 96');
  // type 0x51 = IPVS_OPT_F_PARAM | 0x11, len 22, laddr 2001:db8:99::250, lport 1024, ts delta -5
  // prettier-ignore
  t.same([...buf.subarray(72, 96)], [
    0x51, 0x16,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x50,
    0x04, 0x00, 0xff, 0xff, 0xff, 0xfb,
  ]);
  const e = new SyncEntry();
  t.equal(readConn(buf, 0, 96, e), 0);
  t.match(e, { inet6: true, hasFullNat: true, lport: 1024, tsDelta: -5 });
  t.same([...e.laddr6], LADDR);
});

t.test('malformed IPv6 entries give the kernel codes', async (t) => {
  const e = new SyncEntry();
  const short = Buffer.from(GOLDEN_V6);
  short.writeUInt16BE(40, 10); // ver_size 40: past sizeof(v4) but short of sizeof(v6)
  t.equal(readConn(short, 8, 80, e), SYNC_E_LEN, 'ip_vs_proc_sync_conn: p > msg_end is -20');
  t.equal(readConn(GOLDEN_V6.subarray(0, 40), 8, 40, e), SYNC_E_SHORT, 'cut in the middle of the entry');
  const type3 = Buffer.from(GOLDEN_V6);
  type3[8] = 3; // the kernel tests the STYPE_F_INET6 bit only
  t.equal(readConn(type3, 8, 80, e), 0);
  t.equal(e.inet6, true);
  // The IPv4 full NAT option on an IPv6 entry is an unknown optional parameter: skipped, entry kept.
  const v4opt = Buffer.concat([GOLDEN_V6, Buffer.from([0x50, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]);
  v4opt.writeUInt16BE(84, 10);
  v4opt.writeUInt16BE(v4opt.length, 2);
  t.equal(readConn(v4opt, 8, v4opt.length, e), 0);
  t.equal(e.hasFullNat, false);
});

t.test('IPv4 and IPv6 entries follow each other in one message, each 4-byte aligned', async (t) => {
  const buf = Buffer.alloc(256);
  const c = column(CADDR);
  let off = 8;
  off += writeConnV4(buf, off, 17, 0, 0, 53, 53, 53, 0, 300, 1, 2, 3, false, 0, 0, 0);
  off += writeConnV6(buf, off, 6, 0, 1, 40000, 80, 8080, 0, 900, c, c, c, 4, false, c, 0, 0);
  writeMesgHeader(buf, 0, 0, off, 2);
  const e = new SyncEntry();
  t.equal(readConn(buf, 8, off, e), 0);
  t.match(e, { inet6: false, protocol: 17, caddr: 1, next: 44 });
  t.equal(readConn(buf, e.next, off, e), 0);
  t.match(e, { inet6: true, protocol: 6, next: off });
  t.same([...e.caddr6], CADDR);
});
