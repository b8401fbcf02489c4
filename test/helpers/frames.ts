// Test-only frame crafting: Ethernet (+802.1Q) + IPv4 (+options) + TCP/UDP/ICMP from a plain
// description, with correct checksums (frame-checks.ts holds the sums and the checkers).
//
// Deliberately independent of src/packet: its own naive checksum (a plain loop over 16-bit words,
// no incremental maths), so tests compare two implementations. Allocation is fine here.

import { parseDottedQuad } from '../../src/lib/inet.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { fold, naiveSum, pseudo } from './frame-checks.ts';

export type Proto = 'tcp' | 'udp' | 'icmp';

export interface FrameSpec {
  /** 'aa:bb:cc:dd:ee:ff'; defaults 02:00:00:00:00:02 (dst) and 02:00:00:00:00:01 (src). */
  dstMac?: string;
  srcMac?: string;
  /** 802.1Q tag control information (PCP/DEI/VID); omitted = untagged. */
  vlan?: number;
  src: string;
  dst: string;
  proto: Proto | number;
  sport?: number;
  dport?: number;
  /** TCP flags as letters (any of 'FSRPAUEC', e.g. 'S', 'SA', 'PA', 'FA', 'R') or a number. */
  flags?: string | number;
  seq?: number;
  ack?: number;
  window?: number;
  /** TCP options, raw bytes, a multiple of 4. */
  tcpOptions?: Uint8Array;
  icmpType?: number;
  icmpCode?: number;
  /** Bytes 4-7 of the ICMP header: id and seq for echo, or `icmpRest` for errors. */
  icmpId?: number;
  icmpSeq?: number;
  icmpRest?: number;
  payload?: Uint8Array | string;
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOff?: number;
  /** IPv4 options, a multiple of 4 bytes (e.g. NOP x4 = [1,1,1,1]). */
  ipOptions?: Uint8Array;
  /** CHECKSUM_PARTIAL: the L4 checksum field = the folded pseudo-header sum, not complemented. */
  partialCsum?: boolean;
  /** UDP: send checksum 0 ("no checksum"). */
  udpZeroCsum?: boolean;
  /** Append this many zero bytes after the IP packet (Ethernet padding). */
  pad?: number;
  /** Override the IP total length field (the IP checksum is computed over the overridden value). */
  totLenOverride?: number;
  /** Override the UDP length field. */
  udpLenOverride?: number;
  /** Use these bytes as the whole L4 part, untouched (no header built, no checksum). */
  rawL4?: Uint8Array;
}

const TCP_FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32, E: 64, C: 128 };

/** "10.0.0.1" -> 0x0a000001 (lib/inet.ts parseDottedQuad), throwing on anything else. */
export function ipToU32(ip: string): number {
  const v = parseDottedQuad(ip);
  if (v === null) throw new Error(`bad IPv4 address ${ip}`);
  return v;
}

export function u32ToIp(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export function macToBytes(mac: string): Buffer {
  return parseMac(mac);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Buffer {
  return Buffer.from(h.replace(/\s+/g, ''), 'hex');
}
function protoNumber(p: Proto | number): number {
  return p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'icmp' ? 1 : p;
}

function tcpFlags(f: string | number | undefined): number {
  if (f === undefined) return TCP_FLAG_BITS.A!;
  if (typeof f === 'number') return f;
  let v = 0;
  for (const c of f) {
    const bit = TCP_FLAG_BITS[c];
    if (bit === undefined) throw new Error(`bad TCP flag ${c}`);
    v |= bit;
  }
  return v;
}

/** Build a whole Ethernet frame from a description, checksums correct (or partial if asked). */
export function buildFrame(s: FrameSpec): Buffer {
  const proto = protoNumber(s.proto);
  const payload = typeof s.payload === 'string' ? Buffer.from(s.payload) : Buffer.from(s.payload ?? new Uint8Array(0));
  const opts = Buffer.from(s.ipOptions ?? new Uint8Array(0));
  if (opts.length % 4 !== 0 || opts.length > 40) throw new Error('IP options must be a multiple of 4, at most 40');
  let l4: Buffer;
  if (s.rawL4 !== undefined) {
    l4 = Buffer.from(s.rawL4);
  } else if (proto === 6) {
    const to = Buffer.from(s.tcpOptions ?? new Uint8Array(0));
    if (to.length % 4 !== 0) throw new Error('TCP options must be a multiple of 4');
    l4 = Buffer.alloc(20 + to.length + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 80, 2);
    l4.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
    l4.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
    l4[12] = ((20 + to.length) / 4) << 4;
    l4[13] = tcpFlags(s.flags);
    l4.writeUInt16BE(s.window ?? 65535, 14);
    to.copy(l4, 20);
    payload.copy(l4, 20 + to.length);
  } else if (proto === 17) {
    l4 = Buffer.alloc(8 + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 53, 2);
    l4.writeUInt16BE(s.udpLenOverride ?? 8 + payload.length, 4);
    payload.copy(l4, 8);
  } else if (proto === 1) {
    l4 = Buffer.alloc(8 + payload.length);
    l4[0] = s.icmpType ?? 8;
    l4[1] = s.icmpCode ?? 0;
    if (s.icmpRest !== undefined) l4.writeUInt32BE(s.icmpRest >>> 0, 4);
    else {
      l4.writeUInt16BE(s.icmpId ?? 0x1234, 4);
      l4.writeUInt16BE(s.icmpSeq ?? 1, 6);
    }
    payload.copy(l4, 8);
  } else {
    l4 = Buffer.from(payload);
  }
  const saddr = ipToU32(s.src);
  const daddr = ipToU32(s.dst);
  if (s.rawL4 !== undefined) {
    // as given
  } else if (proto === 6 || proto === 17) {
    const at = proto === 6 ? 16 : 6;
    const ps = pseudo(saddr, daddr, proto, l4.length);
    let c: number;
    if (s.partialCsum) c = fold(ps);
    else if (proto === 17 && s.udpZeroCsum) c = 0;
    else {
      c = ~fold(ps + naiveSum(l4, 0, l4.length)) & 0xffff;
      if (proto === 17 && c === 0) c = 0xffff;
    }
    l4.writeUInt16BE(c, at);
  } else if (proto === 1) {
    l4.writeUInt16BE(~naiveSum(l4, 0, l4.length) & 0xffff, 2);
  }
  const ihl = 20 + opts.length;
  const ip = Buffer.alloc(ihl);
  ip[0] = 0x40 | (ihl / 4);
  ip[1] = s.tos ?? 0;
  ip.writeUInt16BE(s.totLenOverride ?? ihl + l4.length, 2);
  ip.writeUInt16BE(s.id ?? 0x1c46, 4);
  ip.writeUInt16BE((s.df ? 0x4000 : 0) | (s.mf ? 0x2000 : 0) | ((s.fragOff ?? 0) >>> 3), 6);
  ip[8] = s.ttl ?? 64;
  ip[9] = proto;
  ip.writeUInt32BE(saddr, 12);
  ip.writeUInt32BE(daddr, 16);
  opts.copy(ip, 20);
  ip.writeUInt16BE(~naiveSum(ip, 0, ihl) & 0xffff, 10);
  const eth = Buffer.alloc(s.vlan === undefined ? 14 : 18);
  macToBytes(s.dstMac ?? '02:00:00:00:00:02').copy(eth, 0);
  macToBytes(s.srcMac ?? '02:00:00:00:00:01').copy(eth, 6);
  if (s.vlan === undefined) eth.writeUInt16BE(0x0800, 12);
  else {
    eth.writeUInt16BE(0x8100, 12);
    eth.writeUInt16BE(s.vlan, 14);
    eth.writeUInt16BE(0x0800, 16);
  }
  return Buffer.concat([eth, ip, l4, Buffer.alloc(s.pad ?? 0)]);
}
