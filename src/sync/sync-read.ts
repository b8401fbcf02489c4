// Sync message codec by offset, the reading side: a v1 header and its connection entries (struct
// ip_vs_sync_v4 / ip_vs_sync_v6 + option TLVs, laid out in sync-codec.ts) with the checks of
// ip_vs_process_message and ip_vs_proc_sync_conn (ip_vs_sync.c), into a SyncHeader / SyncEntry
// (sync-entry.ts) the caller owns. Every length is checked before a field is read.

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
  SYNC_V6_LEN,
  TSVS_OPT_FULLNAT,
  TSVS_OPT_FULLNAT6,
  TSVS_OPT_FULLNAT6_LEN,
  TSVS_OPT_FULLNAT_LEN,
} from './sync-proto.ts';
import type { SyncEntry, SyncHeader } from './sync-entry.ts';

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

/** An in6_addr at off into four host-order words; returns their fold (conn-table6.ts). */
function readWords(buf: Buffer, off: number, w: Uint32Array): number {
  for (let i = 0; i < 4; i++) w[i] = buf.readUInt32BE(off + 4 * i);
  return (w[0]! ^ w[1]! ^ w[2]! ^ w[3]!) >>> 0;
}

/** Results of readConn beyond 0: negative drops the rest of the message, positive this entry. */
export const SYNC_E_SHORT = -1; // fewer than 36 B (sizeof v4) left, length past the end, or version != 0
export const SYNC_E_TYPE = -10;
export const SYNC_E_LEN = -20;
export const SYNC_E_OPT_HDR = -30;
export const SYNC_E_OPT_LEN = -40;
export const SYNC_E_SEQ = -50;
export const SYNC_E_PE_DATA = -60;
export const SYNC_E_PE_NAME = -70;
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
  // ip_vs_proc_sync_conn: the STYPE_F_INET6 bit makes an IPv6 entry whatever the other bits.
  const type = buf[off]!;
  const inet6 = (type & STYPE_F_INET6) !== 0;
  if (!inet6 && type !== 0) return SYNC_E_TYPE;
  const base = inet6 ? SYNC_V6_LEN : SYNC_V4_LEN;
  if (off + base > msgEnd) return SYNC_E_LEN;
  e.inet6 = inet6;
  e.protocol = buf[off + 1]!;
  e.flags = buf.readUInt32BE(off + 4);
  e.state = buf.readUInt16BE(off + 8);
  e.cport = buf.readUInt16BE(off + 10);
  e.vport = buf.readUInt16BE(off + 12);
  e.dport = buf.readUInt16BE(off + 14);
  e.fwmark = buf.readUInt32BE(off + 16);
  e.timeoutSec = buf.readUInt32BE(off + 20);
  if (inet6) {
    e.caddr = readWords(buf, off + 24, e.caddr6);
    e.vaddr = readWords(buf, off + 40, e.vaddr6);
    e.daddr = readWords(buf, off + 56, e.daddr6);
  } else {
    e.caddr = buf.readUInt32BE(off + 24);
    e.vaddr = buf.readUInt32BE(off + 28);
    e.daddr = buf.readUInt32BE(off + 32);
  }
  e.hasSeq = false;
  e.peDataLen = 0;
  e.peNameLen = 0;
  e.hasFullNat = false;
  let p = off + base;
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
        // The full NAT extension of the entry's own family; the other one is an unknown optional one.
        if (ptype === TSVS_OPT_FULLNAT && plen === TSVS_OPT_FULLNAT_LEN && !e.hasFullNat && !inet6) {
          e.laddr = buf.readUInt32BE(p);
          e.lport = buf.readUInt16BE(p + 4);
          e.tsDelta = buf.readInt32BE(p + 6);
          e.hasFullNat = true;
        } else if (ptype === TSVS_OPT_FULLNAT6 && plen === TSVS_OPT_FULLNAT6_LEN && !e.hasFullNat && inet6) {
          e.laddr = readWords(buf, p, e.laddr6);
          e.lport = buf.readUInt16BE(p + 16);
          e.tsDelta = buf.readInt32BE(p + 18);
          e.hasFullNat = true;
        } else if (!(ptype & IPVS_OPT_F_PARAM)) {
          return SYNC_SKIP_MANDATORY; // "Unknown mandatory param": this entry is skipped
        }
    }
    p += plen;
  }
  return 0;
}
