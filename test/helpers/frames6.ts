// frames6: whole Ethernet/IPv6 frames for pipeline tests and benchmarks, built independently of
// the code under test: addresses through node:net's own parser (no src/lib/inet6.ts), checksums
// summed naively over the RFC 8200 8.1 pseudo-header (helpers in ./frames.ts).
import { SocketAddress } from 'node:net';
import { macToBytes } from './frames.ts';
import { naiveSum } from './frame-checks.ts';

export interface Frame6Spec {
  readonly src: string;
  readonly dst: string;
  readonly srcMac?: string;
  readonly dstMac?: string;
  readonly proto: 'tcp' | 'udp' | 'icmp6';
  readonly sport?: number;
  readonly dport?: number;
  /** TCP flags as letters (S, A, F, R, P, E for ECE, C for CWR), default A. */
  readonly flags?: string;
  /** TCP sequence and acknowledgment numbers (default 1000 and 0) and window (default 65535). */
  readonly seq?: number;
  readonly ack?: number;
  readonly window?: number;
  /** The traffic class (default 0). */
  readonly tclass?: number;
  readonly hopLimit?: number;
  /** ICMPv6 type, code and the 4 bytes after the checksum (echo id << 16 | seq). */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpRest?: number;
  readonly payload?: Uint8Array;
  /** TCP options, padded with EOL to a multiple of 4 bytes (the data offset grows with them). */
  readonly tcpOptions?: Uint8Array;
  /** This many 8-byte destination options headers (next header 60) before the upper layer. */
  readonly destOpts?: number;
  /** Zero bytes after the packet (Ethernet padding). */
  readonly pad?: number;
}

/** The 16 bytes of an IPv6 address in text, as inet_pton gives them (through node:net). */
export function addr6Bytes(s: string): Buffer {
  const sa = new SocketAddress({ address: s, family: 'ipv6' });
  // SocketAddress keeps the text; expand it by hand from the canonical groups.
  const [head = '', tail = ''] = sa.address.split('::');
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  const groups = sa.address.includes('::') ? [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts] : hs;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, E: 64, C: 128 };

export function buildFrame6(s: Frame6Spec): Buffer {
  const payload = Buffer.from(s.payload ?? new Uint8Array(0));
  let l4: Buffer;
  let nh: number;
  if (s.proto === 'tcp') {
    nh = 6;
    const opts = s.tcpOptions ?? new Uint8Array(0);
    const hl = 20 + ((opts.length + 3) & ~3);
    l4 = Buffer.alloc(hl + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 80, 2);
    l4.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
    l4.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
    l4[12] = (hl / 4) << 4;
    l4[13] = [...(s.flags ?? 'A')].reduce((v, c) => v | FLAG_BITS[c]!, 0);
    l4.writeUInt16BE(s.window ?? 65535, 14);
    Buffer.from(opts).copy(l4, 20);
    payload.copy(l4, hl);
  } else if (s.proto === 'udp') {
    nh = 17;
    l4 = Buffer.alloc(8 + payload.length);
    l4.writeUInt16BE(s.sport ?? 40000, 0);
    l4.writeUInt16BE(s.dport ?? 53, 2);
    l4.writeUInt16BE(l4.length, 4);
    payload.copy(l4, 8);
  } else {
    nh = 58;
    l4 = Buffer.alloc(8 + payload.length);
    l4[0] = s.icmpType ?? 128;
    l4[1] = s.icmpCode ?? 0;
    l4.writeUInt32BE((s.icmpRest ?? 0x12340001) >>> 0, 4);
    payload.copy(l4, 8);
  }
  const sa = addr6Bytes(s.src);
  const da = addr6Bytes(s.dst);
  const ps = Buffer.concat([sa, da, Buffer.from([0, 0, l4.length >> 8, l4.length & 255, 0, 0, 0, nh]), l4]);
  let c = ~naiveSum(ps, 0, ps.length) & 0xffff;
  if (nh === 17 && c === 0) c = 0xffff;
  l4.writeUInt16BE(c, nh === 6 ? 16 : nh === 17 ? 6 : 2);
  // Destination options headers, each 8 bytes: next header, length 0, a PadN option of 4 bytes.
  const n = s.destOpts ?? 0;
  const ext = Buffer.alloc(8 * n);
  for (let i = 0; i < n; i++) {
    ext[8 * i] = i + 1 < n ? 60 : nh;
    ext[8 * i + 2] = 1;
    ext[8 * i + 3] = 4;
  }
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE((0x60000000 | ((s.tclass ?? 0) << 20)) >>> 0, 0);
  ip.writeUInt16BE(ext.length + l4.length, 4);
  ip[6] = n > 0 ? 60 : nh;
  ip[7] = s.hopLimit ?? 64;
  sa.copy(ip, 8);
  da.copy(ip, 24);
  const eth = Buffer.alloc(14);
  macToBytes(s.dstMac ?? '02:00:00:00:00:01').copy(eth, 0);
  macToBytes(s.srcMac ?? '02:00:00:00:88:10').copy(eth, 6);
  eth.writeUInt16BE(0x86dd, 12);
  return Buffer.concat([eth, ip, ext, l4, Buffer.alloc(s.pad ?? 0)]);
}

/** An NS or NA (hop limit 255, one link-layer option), checksum summed naively. */
export function nd(
  type: 135 | 136,
  src: string,
  dst: string,
  target: string,
  mac: string,
  dstMac: string,
  flags = 0,
): Buffer {
  const body = Buffer.alloc(32);
  body[0] = type;
  body[4] = flags;
  addr6Bytes(target).copy(body, 8);
  body[24] = type === 135 ? 1 : 2;
  body[25] = 1;
  macToBytes(mac).copy(body, 26);
  const s = addr6Bytes(src);
  const d = addr6Bytes(dst);
  const ps = Buffer.concat([s, d, Buffer.from([0, 0, 0, 32, 0, 0, 0, 58]), body]);
  body.writeUInt16BE(~naiveSum(ps, 0, ps.length) & 0xffff, 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(32, 4);
  ip[6] = 58;
  ip[7] = 255;
  s.copy(ip, 8);
  d.copy(ip, 24);
  const eth = Buffer.concat([macToBytes(dstMac), macToBytes(mac), Buffer.from([0x86, 0xdd])]);
  return Buffer.concat([eth, ip, body]);
}

/** An ICMPv6 error (type/code) quoting `quote` (an IPv6 packet), checksum summed naively. */
export function icmp6Err(src: string, dst: string, srcMac: string, dstMac: string, hop: number, quote: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([1, 4, 0, 0, 0, 0, 0, 0]), quote]);
  const s = addr6Bytes(src);
  const d = addr6Bytes(dst);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const ps = Buffer.concat([s, d, len, Buffer.from([0, 0, 0, 58]), body]);
  body.writeUInt16BE(~naiveSum(ps, 0, ps.length) & 0xffff, 2);
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(body.length, 4);
  ip[6] = 58;
  ip[7] = hop;
  s.copy(ip, 8);
  d.copy(ip, 24);
  return Buffer.concat([macToBytes(dstMac), macToBytes(srcMac), Buffer.from([0x86, 0xdd]), ip, body]);
}
