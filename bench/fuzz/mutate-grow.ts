// Mutations that grow, cut or wrap a frame's headers (the Mutator in mutate.ts picks them): IP
// and TCP options (well-formed, zero-length, overlong, cut short), fragments (a first one cut at a
// multiple of 8, a later one, or only the bits), an 802.1Q tag, and an ICMP error quoting the
// frame from its destination back to its source. Each keeps the IP total length in step with the
// bytes it inserts or removes, so the frame gets past the length checks to what lies behind.

import type { Rng } from '../sim/rng.ts';
import { ipToU32, macToBytes } from '../../test/helpers/frames.ts';
import { CLIENTS, LIP, LVS0, LVS1, REALS, VIP } from './fuzz-lab.ts';
import { ETH_P_8021Q, fixIpChecksum, fixL4Checksum, ipv4Shape, l3Of, rd16, wr16, wr32 } from './frame-view.ts';

/** Addresses the lab knows, and two it does not. */
export const ADDRS = [
  VIP,
  LIP,
  ...CLIENTS.map((c) => c.ip),
  ...REALS.map((r) => r.ip),
  '192.168.88.77',
  '10.1.2.3',
].map(ipToU32);
const PORT_MACS = [macToBytes(LVS0), macToBytes(LVS1)];
/** 192.168.99.0/24 >>> 8: the real-server side, port 1. */
export const SUBNET_RS = ipToU32('192.168.99.0') >>> 8;

/** n random bytes (or zeros). */
export function randomBytes(rng: Rng, n: number, zero: boolean): Buffer {
  const out = Buffer.alloc(n);
  if (!zero) for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

const IP_OPTIONS: readonly number[][] = [
  [1, 1, 1, 1],
  [0, 0, 0, 0],
  [148, 4, 0, 0], // router alert
  [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1], // record route
  [68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0], // timestamp
  [7, 0, 1, 1], // zero option length
  [130, 255, 1, 1], // length past the header
  [68, 1, 1, 1],
];
const TCP_OPTIONS: readonly number[][] = [
  [2, 4, 5, 180], // MSS
  [1, 3, 3, 7], // NOP, window scale
  [4, 2, 1, 1], // SACK permitted
  [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0], // timestamp
  [8, 10, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0], // timestamp, max TSval
  [5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1], // SACK block
  [8, 10, 1, 2], // timestamp cut short by the header end
  [8, 0, 1, 1], // zero option length
  [8, 1, 1, 1],
  [1, 1, 1, 8], // kind with no length byte
  [0, 8, 10, 0], // EOL then a timestamp kind
  [8, 255, 0, 0],
];
/** Insert bytes inside a header at `at`, growing the IP total length by their count. */
function insertAt(b: Buffer, at: number, extra: Buffer): Buffer {
  const l3 = l3Of(b);
  const out = Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
  if (l3 >= 0 && out.length >= l3 + 4) wr16(out, l3 + 2, (rd16(out, l3 + 2) + extra.length) & 0xffff);
  return out;
}

export function insertIpOptions(b: Buffer, rng: Rng): Buffer {
  const s = ipv4Shape(b);
  if (s === null) return b;
  const parts: number[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) parts.push(...IP_OPTIONS[rng.int(IP_OPTIONS.length)]!);
  if (rng.next() < 0.2) parts.push(...randomBytes(rng, rng.int(6), false));
  const opts = Buffer.from(parts.slice(0, 40));
  const out = insertAt(b, s.l3 + s.ihl, opts);
  const ihl = Math.min(15, (s.ihl + opts.length) >> 2);
  out[s.l3] = 0x40 | (rng.next() < 0.9 ? ihl : rng.int(16));
  return out;
}

export function insertTcpOptions(b: Buffer, rng: Rng): Buffer {
  const s = ipv4Shape(b);
  if (s === null || s.proto !== 6 || s.l4Len < 20) return b;
  const doff = (b[s.l4 + 12]! >>> 4) * 4;
  const at = s.l4 + (doff >= 20 && doff <= s.l4Len ? doff : 20);
  const parts: number[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) parts.push(...TCP_OPTIONS[rng.int(TCP_OPTIONS.length)]!);
  while (parts.length % 4 !== 0 && rng.next() < 0.9) parts.push(1);
  const opts = Buffer.from(parts.slice(0, 40));
  const out = insertAt(b, at, opts);
  const newDoff = Math.min(15, ((at - s.l4 + opts.length) >> 2) | 0);
  out[s.l4 + 12] = (newDoff << 4) | (out[s.l4 + 12]! & 15);
  return out;
}

/** A first fragment (MF, payload cut at a multiple of 8), a later one, or only the bits set. */
export function fragment(b: Buffer, rng: Rng): Buffer {
  const s = ipv4Shape(b);
  if (s === null) return b;
  const kind = rng.int(3);
  if (kind === 0) {
    wr16(b, s.l3 + 6, 0x2000 | (rd16(b, s.l3 + 6) & 0x5fff));
    return b;
  }
  const cut = 8 * (1 + rng.int(Math.max(1, s.l4Len >> 3)));
  if (kind === 1) {
    const keep = Math.min(cut, s.l4Len);
    const out = Buffer.from(b.subarray(0, s.l4 + keep));
    wr16(out, s.l3 + 2, s.ihl + keep);
    wr16(out, s.l3 + 6, 0x2000);
    return out;
  }
  const rest = b.subarray(Math.min(s.l4 + cut, b.length));
  const out = Buffer.concat([b.subarray(0, s.l4), rest]);
  wr16(out, s.l3 + 2, (s.ihl + rest.length) & 0xffff);
  wr16(out, s.l3 + 6, (rng.next() < 0.5 ? 0x2000 : 0) | ((cut >> 3) & 0x1fff));
  return out;
}

export function insertVlanTag(b: Buffer, rng: Rng): Buffer {
  if (b.length < 14) return b;
  const tag = Buffer.alloc(4);
  wr16(tag, 0, ETH_P_8021Q);
  wr16(tag, 2, rng.int(0x10000));
  return Buffer.concat([b.subarray(0, 12), tag, b.subarray(12)]);
}

/**
 * Wrap the frame's IP packet, cut anywhere, in an ICMP error sent back to its source by its
 * destination (so an error about a packet the director emitted matches its connection).
 */
export function wrapInIcmpError(b: Buffer, rng: Rng): Buffer {
  const s = ipv4Shape(b);
  const l3 = Math.max(l3Of(b), 14);
  const quoteAll = b.subarray(Math.min(l3, b.length), s !== null ? s.l3 + s.totLen : b.length);
  const cut = rng.next() < 0.6 ? quoteAll.length : rng.int(quoteAll.length + 1);
  const quote = quoteAll.subarray(0, Math.min(cut, 548));
  const type = [3, 3, 11, 4, 12, 5, rng.int(256)][rng.int(7)]!;
  const icmp = Buffer.alloc(8 + quote.length);
  icmp[0] = type;
  icmp[1] = rng.int(16);
  if (rng.next() < 0.3) wr16(icmp, 6, 576 + rng.int(1000));
  quote.copy(icmp, 8);
  wr16(icmp, 2, 0);
  const src = s !== null ? s.daddr : ADDRS[rng.int(ADDRS.length)]!;
  const dst = s !== null ? s.saddr : ADDRS[rng.int(ADDRS.length)]!;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[1] = 0xc0;
  wr16(ip, 2, 20 + icmp.length);
  wr16(ip, 4, rng.int(0x10000));
  ip[8] = 64;
  ip[9] = 1;
  wr32(ip, 12, src);
  wr32(ip, 16, dst);
  const eth = Buffer.alloc(14);
  PORT_MACS[src >>> 8 === SUBNET_RS ? 1 : 0]!.copy(eth, 0);
  eth[6] = 2;
  eth[11] = rng.int(256);
  wr16(eth, 12, 0x0800);
  const out = Buffer.concat([eth, ip, icmp]);
  fixIpChecksum(out);
  fixL4Checksum(out, false);
  return out;
}
