// Sync message codec by offset, the writing side: the v1 header (struct ip_vs_sync_mesg) and
// connection entries (struct ip_vs_sync_v4 / ip_vs_sync_v6 + option TLVs) as ip_vs_sync_conn
// (ip_vs_sync.c) writes them. Pure functions over (buf, offset), run on the master's packet path:
// byte stores, no allocation. The reading side, with the kernel's checks, is sync-read.ts.
//
//   0        1        2                 4        5        6                 8
//   +--------+--------+-----------------+--------+--------+-----------------+
//   |reserved| syncid |   size (be16)   |nr_conns| version|   spare (0)     |  header
//   +--------+--------+-----------------+--------+--------+-----------------+
//   |  type  |protocol| ver_size (be16) |            flags (be32)           |  entry (v4, 36 B)
//   | state (be16)    |  cport          |  vport          |  dport          |
//   |           fwmark (be32)           |        timeout (be32, s)          |
//   |            caddr                  |            vaddr                  |
//   |            daddr                  | options: type u8, len u8, data... |
//
// An IPv6 entry (type STYPE_F_INET6, 72 B) has the same first 24 bytes, then caddr, vaddr and
// daddr as three 16-byte in6_addr, then its options.
//
// Entries start 4-byte aligned from the message start; ver_size holds the entry length without
// the padding, the header's size the whole datagram.

import {
  STYPE_F_INET6,
  SVER_SIZE_MASK,
  SYNC_PROTO_VER,
  SYNC_V4_LEN,
  SYNC_V6_LEN,
  TSVS_OPT_FULLNAT,
  TSVS_OPT_FULLNAT6,
  TSVS_OPT_FULLNAT6_LEN,
  TSVS_OPT_FULLNAT_LEN,
} from './sync-proto.ts';

/** Big-endian 16 and 32 bits (a negative 32-bit value as its two's complement). */
function w16(buf: Buffer, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

function w32(buf: Buffer, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** Writes a v1 header at off. */
export function writeMesgHeader(buf: Buffer, off: number, syncid: number, size: number, nrConns: number): void {
  buf[off] = 0;
  buf[off + 1] = syncid & 0xff;
  w16(buf, off + 2, size);
  buf[off + 4] = nrConns;
  buf[off + 5] = SYNC_PROTO_VER;
  w16(buf, off + 6, 0);
}

/**
 * The 24 bytes both entry types start with (ip_vs_sync_conn: s->v4.type ... s->v4.timeout):
 * type, protocol, ver_size (version 0, the entry's length), flags, state, the ports, fwmark and
 * the timeout in seconds. Byte stores, not Buffer.write*: this runs on the master's packet path.
 */
function writeConnHead(
  buf: Buffer,
  off: number,
  type: number,
  protocol: number,
  len: number,
  flags: number,
  state: number,
  cport: number,
  vport: number,
  dport: number,
  fwmark: number,
  timeoutSec: number,
): void {
  buf[off] = type;
  buf[off + 1] = protocol;
  w16(buf, off + 2, len & SVER_SIZE_MASK);
  w32(buf, off + 4, flags);
  w16(buf, off + 8, state);
  w16(buf, off + 10, cport);
  w16(buf, off + 12, vport);
  w16(buf, off + 14, dport);
  w32(buf, off + 16, fwmark);
  w32(buf, off + 20, timeoutSec);
}

/** Bytes of an IPv4 entry (without padding), with or without the full NAT option. */
export function connV4Len(fullNat: boolean): number {
  return SYNC_V4_LEN + (fullNat ? 2 + TSVS_OPT_FULLNAT_LEN : 0);
}

/**
 * Writes an IPv4 entry at off (ip_vs_sync_conn's v4 branch); returns its length. The caller has
 * checked that connV4Len(fullNat) bytes fit. Ports and addresses in host order.
 */
export function writeConnV4(
  buf: Buffer,
  off: number,
  protocol: number,
  flags: number,
  state: number,
  cport: number,
  vport: number,
  dport: number,
  fwmark: number,
  timeoutSec: number,
  caddr: number,
  vaddr: number,
  daddr: number,
  fullNat: boolean,
  laddr: number,
  lport: number,
  tsDelta: number,
): number {
  const len = connV4Len(fullNat);
  writeConnHead(buf, off, 0, protocol, len, flags, state, cport, vport, dport, fwmark, timeoutSec);
  w32(buf, off + 24, caddr);
  w32(buf, off + 28, vaddr);
  w32(buf, off + 32, daddr);
  if (fullNat) {
    const p = off + SYNC_V4_LEN;
    buf[p] = TSVS_OPT_FULLNAT;
    buf[p + 1] = TSVS_OPT_FULLNAT_LEN;
    w32(buf, p + 2, laddr);
    w16(buf, p + 6, lport);
    w32(buf, p + 8, tsDelta);
  }
  return len;
}

/** Bytes of an IPv6 entry (without padding), with or without the IPv6 full NAT option. */
export function connV6Len(fullNat: boolean): number {
  return SYNC_V6_LEN + (fullNat ? 2 + TSVS_OPT_FULLNAT6_LEN : 0);
}

/** Four host-order words of col at k as an in6_addr (network order). */
function w128(buf: Buffer, off: number, col: Uint32Array, k: number): void {
  for (let i = 0; i < 4; i++) w32(buf, off + 4 * i, col[k + i]!);
}

/**
 * Writes an IPv6 entry at off (ip_vs_sync_conn's AF_INET6 branch: type STYPE_F_INET6, s->v6.caddr,
 * vaddr, daddr); returns its length. The addresses are the four words at k of the connection
 * table's 128-bit columns (conn-table6.ts), read in place. The caller has checked that
 * connV6Len(fullNat) bytes fit.
 */
export function writeConnV6(
  buf: Buffer,
  off: number,
  protocol: number,
  flags: number,
  state: number,
  cport: number,
  vport: number,
  dport: number,
  fwmark: number,
  timeoutSec: number,
  caddr6: Uint32Array,
  vaddr6: Uint32Array,
  daddr6: Uint32Array,
  k: number,
  fullNat: boolean,
  laddr6: Uint32Array,
  lport: number,
  tsDelta: number,
): number {
  const len = connV6Len(fullNat);
  writeConnHead(buf, off, STYPE_F_INET6, protocol, len, flags, state, cport, vport, dport, fwmark, timeoutSec);
  w128(buf, off + 24, caddr6, k);
  w128(buf, off + 40, vaddr6, k);
  w128(buf, off + 56, daddr6, k);
  if (fullNat) {
    const p = off + SYNC_V6_LEN;
    buf[p] = TSVS_OPT_FULLNAT6;
    buf[p + 1] = TSVS_OPT_FULLNAT6_LEN;
    w128(buf, p + 2, laddr6, k);
    w16(buf, p + 18, lport);
    w32(buf, p + 20, tsDelta);
  }
  return len;
}
