// Sync message codec by offset: the v1 header (struct ip_vs_sync_mesg) and connection entries
// (struct ip_vs_sync_v4 + option TLVs) as ip_vs_sync_conn writes them, and the checks of
// ip_vs_process_message / ip_vs_proc_sync_conn (ip_vs_sync.c) when reading. Pure functions over
// (buf, offset); the reader fills a SyncEntry the caller owns.
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
// Entries start 4-byte aligned from the message start; ver_size holds the entry length without
// the padding, the header's size the whole datagram.

import {
  IPVS_OPT_F_PARAM,
  IPVS_OPT_PE_DATA,
  IPVS_OPT_PE_NAME,
  IPVS_OPT_SEQ_DATA,
  IPVS_OPT_SEQ_DATA_LEN,
  IP_VS_PEDATA_MAXLEN,
  IP_VS_PENAME_MAXLEN,
  STYPE_F_INET6,
  SVER_SHIFT,
  SVER_SIZE_MASK,
  SYNC_MESG_HEADER_LEN,
  SYNC_PROTO_VER,
  SYNC_V4_LEN,
  TSVS_OPT_FULLNAT,
  TSVS_OPT_FULLNAT_LEN,
} from './sync-proto.ts';

/** One decoded entry; a reader reuses one instance. Addresses uint32 host order, ports numbers. */
export class SyncEntry {
  /** Offset of the next entry (start + length rounded up to 4). */
  next = 0;
  inet6 = false;
  protocol = 0;
  flags = 0;
  state = 0;
  cport = 0;
  vport = 0;
  dport = 0;
  fwmark = 0;
  timeoutSec = 0;
  caddr = 0;
  vaddr = 0;
  daddr = 0;
  /** IPVS_OPT_SEQ_DATA: in_seq then out_seq, {init_seq, delta, previous_delta} each. */
  hasSeq = false;
  readonly seq = new Uint32Array(6);
  peDataLen = 0;
  peNameLen = 0;
  /** TSVS_OPT_FULLNAT. */
  hasFullNat = false;
  laddr = 0;
  lport = 0;
  tsDelta = 0;
}

/** The fields of a message header. */
export class SyncHeader {
  syncid = 0;
  size = 0;
  nrConns = 0;
  /** True for a v1 header (version 1, reserved 0, spare 0); else the message is v0. */
  v1 = false;
}

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
  // Byte stores, not Buffer.write*: this runs on the master's packet path.
  buf[off] = 0;
  buf[off + 1] = protocol;
  w16(buf, off + 2, len & SVER_SIZE_MASK);
  w32(buf, off + 4, flags);
  w16(buf, off + 8, state);
  w16(buf, off + 10, cport);
  w16(buf, off + 12, vport);
  w16(buf, off + 14, dport);
  w32(buf, off + 16, fwmark);
  w32(buf, off + 20, timeoutSec);
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

/**
 * ip_vs_process_message's header checks: returns 0 with `h` filled, or a negative code:
 * -1 shorter than the v0 header (4 B) or size != received length.
 */
export function readMesgHeader(buf: Buffer, off: number, len: number, h: SyncHeader): number {
  if (len < 4) return -1;
  h.size = buf.readUInt16BE(off + 2);
  if (h.size !== len) return -1;
  h.syncid = buf[off + 1]!;
  h.v1 = len >= SYNC_MESG_HEADER_LEN && buf[off + 5] === SYNC_PROTO_VER && buf[off] === 0 && buf[off + 6] === 0;
  h.v1 = h.v1 && buf[off + 7] === 0;
  h.nrConns = h.v1 ? buf[off + 4]! : buf[off]!;
  return 0;
}

/** Results of readConn beyond 0: negative drops the rest of the message, positive this entry. */
export const SYNC_E_SHORT = -1; // fewer than 36 B left, length past the end, or version != 0
export const SYNC_E_TYPE = -10;
export const SYNC_E_LEN = -20;
export const SYNC_E_OPT_HDR = -30;
export const SYNC_E_OPT_LEN = -40;
export const SYNC_E_SEQ = -50;
export const SYNC_E_PE_DATA = -60;
export const SYNC_E_PE_NAME = -70;
export const SYNC_SKIP_INET6 = 10; // IPv6 entry: tsvs is IPv4 only, as a kernel without IP_VS_IPV6
export const SYNC_SKIP_MANDATORY = 20; // unknown mandatory option

/**
 * Reads the entry at off of a message ending at end (ip_vs_process_message's loop body and
 * ip_vs_proc_sync_conn up to the option checks). Returns 0 or a SYNC_E_* / SYNC_SKIP_* code;
 * e.next is valid for 0 and positive codes. Flag, protocol and state checks are the caller's.
 */
export function readConn(buf: Buffer, off: number, end: number, e: SyncEntry): number {
  if (off + SYNC_V4_LEN > end) return SYNC_E_SHORT;
  const verSize = buf.readUInt16BE(off + 2);
  const size = verSize & SVER_SIZE_MASK;
  const msgEnd = off + size;
  if (msgEnd > end || verSize >> SVER_SHIFT !== 0) return SYNC_E_SHORT;
  e.next = off + ((size + 3) & ~3);
  const type = buf[off]!;
  if (type & STYPE_F_INET6) return SYNC_SKIP_INET6;
  if (type !== 0) return SYNC_E_TYPE;
  if (off + SYNC_V4_LEN > msgEnd) return SYNC_E_LEN;
  e.inet6 = false;
  e.protocol = buf[off + 1]!;
  e.flags = buf.readUInt32BE(off + 4);
  e.state = buf.readUInt16BE(off + 8);
  e.cport = buf.readUInt16BE(off + 10);
  e.vport = buf.readUInt16BE(off + 12);
  e.dport = buf.readUInt16BE(off + 14);
  e.fwmark = buf.readUInt32BE(off + 16);
  e.timeoutSec = buf.readUInt32BE(off + 20);
  e.caddr = buf.readUInt32BE(off + 24);
  e.vaddr = buf.readUInt32BE(off + 28);
  e.daddr = buf.readUInt32BE(off + 32);
  e.hasSeq = false;
  e.peDataLen = 0;
  e.peNameLen = 0;
  e.hasFullNat = false;
  let p = off + SYNC_V4_LEN;
  while (p < msgEnd) {
    if (p + 2 > msgEnd) return SYNC_E_OPT_HDR;
    const ptype = buf[p]!;
    const plen = buf[p + 1]!;
    p += 2;
    if (plen === 0 || p + plen > msgEnd) return SYNC_E_OPT_LEN;
    switch (ptype & ~IPVS_OPT_F_PARAM) {
      case IPVS_OPT_SEQ_DATA:
        // ip_vs_proc_seqopt: exactly the struct, once.
        if (plen !== IPVS_OPT_SEQ_DATA_LEN || e.hasSeq) return SYNC_E_SEQ;
        for (let i = 0; i < 6; i++) e.seq[i] = buf.readUInt32BE(p + i * 4);
        e.hasSeq = true;
        break;
      case IPVS_OPT_PE_DATA:
        // ip_vs_proc_str: at most the maximum, once.
        if (plen > IP_VS_PEDATA_MAXLEN || e.peDataLen !== 0) return SYNC_E_PE_DATA;
        e.peDataLen = plen;
        break;
      case IPVS_OPT_PE_NAME:
        if (plen > IP_VS_PENAME_MAXLEN || e.peNameLen !== 0) return SYNC_E_PE_NAME;
        e.peNameLen = plen;
        break;
      default:
        if (ptype === TSVS_OPT_FULLNAT && plen === TSVS_OPT_FULLNAT_LEN && !e.hasFullNat) {
          e.laddr = buf.readUInt32BE(p);
          e.lport = buf.readUInt16BE(p + 4);
          e.tsDelta = buf.readInt32BE(p + 6);
          e.hasFullNat = true;
        } else if (!(ptype & IPVS_OPT_F_PARAM)) {
          return SYNC_SKIP_MANDATORY; // "Unknown mandatory param": this entry is skipped
        }
    }
    p += plen;
  }
  return 0;
}
