// Mutator: turns a well-formed frame into a hostile one, from a seeded stream (same seed, same
// frames). One to three structural mutations (truncation, bit flips, bad IP total length, IHL,
// TCP data offset and UDP length, IP and TCP options, fragments, ICMP errors quoting the frame,
// new addresses and ports, TTL, VLAN tags, EtherTypes), then the receive flags (CHECKSUM_PARTIAL
// with or without a virtio_net_hdr, GSO), then the checksums are usually repaired so the frame
// gets past the header checks and into NAT, and sometimes left or broken afterwards.

import { RXF_CSUM_PARTIAL, RXF_GSO } from '../../src/packet/rx-flags.ts';
import type { Rng } from '../sim/rng.ts';
import { LAB_SERVICES } from './fuzz-lab.ts';
import { fixIpChecksum, fixL4Checksum, ipv4Shape, l3Of, l4CheckAt, wr16, wr32 } from './frame-view.ts';
import {
  ADDRS,
  fragment,
  insertIpOptions,
  insertTcpOptions,
  insertVlanTag,
  randomBytes,
  SUBNET_RS,
  wrapInIcmpError,
} from './mutate-grow.ts';

/** A frame ready to inject: its bytes, the port it arrives on, RXF_* flags, a virtio_net_hdr. */
export interface FuzzFrame {
  frame: Buffer;
  port: number;
  flags: number;
  vnet: Buffer | null;
}

const PORTS = [...new Set(LAB_SERVICES.flatMap((s) => [s.vport, s.rport])), 0, 1024, 40000, 65535];

export class Mutator {
  constructor(private readonly rng: Rng) {}

  /** A mutated copy of `base` (which arrived on basePort), with flags and maybe a vnet header. */
  mutate(base: Buffer, basePort: number): FuzzFrame {
    const rng = this.rng;
    let b: Buffer = Buffer.from(base);
    const ops = 1 + rng.int(3);
    for (let i = 0; i < ops; i++) b = this.structural(b);
    let flags = 0;
    let vnet: Buffer | null = null;
    const partial = rng.next() < 0.15;
    if (partial) flags |= RXF_CSUM_PARTIAL;
    if (rng.next() < 0.3) vnet = this.vnetHeader(b, partial, rng.next() < 0.1);
    if (vnet !== null && vnet[1] !== 0) flags |= RXF_GSO;
    if (rng.next() < 0.02) flags ^= 1 << rng.int(4); // flags that disagree with the header
    if (rng.next() < 0.85) fixIpChecksum(b);
    if (rng.next() < 0.75) fixL4Checksum(b, (flags & RXF_CSUM_PARTIAL) !== 0);
    if (rng.next() < 0.05) this.flipBits(b, 1);
    const s = ipv4Shape(b);
    let port = basePort;
    if (s !== null) port = s.saddr >>> 8 === SUBNET_RS ? 1 : 0;
    if (rng.next() < 0.05) port = 1 - port;
    return { frame: b, port, flags, vnet };
  }

  private structural(b: Buffer): Buffer {
    const rng = this.rng;
    switch (rng.int(18)) {
      case 0:
        return b.subarray(0, rng.int(b.length + 1));
      case 1:
        return Buffer.concat([b, randomBytes(rng, 1 + rng.int(64), rng.next() < 0.5)]);
      case 2:
      case 3:
        this.flipBits(b, 1 + rng.int(4));
        return b;
      case 4:
        return this.setIpField(b, 2, this.lengthValue(b));
      case 5:
        return this.setIhl(b);
      case 6:
        return insertIpOptions(b, rng);
      case 7:
        return this.setTcpDoff(b);
      case 8:
        return insertTcpOptions(b, rng);
      case 9:
        return this.setUdpLen(b);
      case 10:
        return fragment(b, rng);
      case 11:
      case 12:
        return wrapInIcmpError(b, rng);
      case 13:
        return this.retarget(b);
      case 14:
        return this.setIpField(b, 8, [0, 1, 2, 255][rng.int(4)]! << 8, 1);
      case 15:
        return insertVlanTag(b, rng);
      case 16:
        if (b.length >= 14) wr16(b, 12, [0x0806, 0x86dd, 0x8100, 0x0800, rng.int(0x10000)][rng.int(5)]!);
        return b;
      default:
        return this.setTcpFlags(b);
    }
  }

  private flipBits(b: Buffer, n: number): void {
    if (b.length === 0) return;
    for (let i = 0; i < n; i++) {
      const span = this.rng.next() < 0.8 ? Math.min(b.length, 80) : b.length;
      const at = this.rng.int(span);
      b[at] = b[at]! ^ (1 << this.rng.int(8));
    }
  }

  /** A 16-bit IP header field (byte 8 = TTL when width 1). */
  private setIpField(b: Buffer, at: number, v: number, width = 2): Buffer {
    const l3 = l3Of(b);
    if (l3 < 0 || b.length < l3 + 20) return b;
    if (width === 1) b[l3 + at] = v >>> 8;
    else wr16(b, l3 + at, v);
    return b;
  }

  private lengthValue(b: Buffer): number {
    const l3 = Math.max(l3Of(b), 0);
    const avail = b.length - l3;
    const rng = this.rng;
    const choices = [rng.int(0x10000), avail + 1 + rng.int(8), avail - 1 - rng.int(8), 0, 20, 19, 0xffff, 28];
    return choices[rng.int(choices.length)]! & 0xffff;
  }

  private setIhl(b: Buffer): Buffer {
    const l3 = l3Of(b);
    if (l3 >= 0 && b.length > l3) b[l3] = (b[l3]! & 0xf0) | this.rng.int(16);
    return b;
  }

  private setTcpDoff(b: Buffer): Buffer {
    const s = ipv4Shape(b);
    if (s === null || s.proto !== 6 || b.length < s.l4 + 13) return b;
    b[s.l4 + 12] = (this.rng.int(16) << 4) | (b[s.l4 + 12]! & 15);
    return b;
  }

  private setUdpLen(b: Buffer): Buffer {
    const s = ipv4Shape(b);
    if (s === null || s.proto !== 17 || b.length < s.l4 + 6) return b;
    const rng = this.rng;
    const choices = [rng.int(0x10000), s.l4Len + 1, s.l4Len - 1, 0, 7, 8, s.l4Len + 8 * rng.int(100)];
    wr16(b, s.l4 + 4, choices[rng.int(choices.length)]! & 0xffff);
    return b;
  }

  private retarget(b: Buffer): Buffer {
    const s = ipv4Shape(b);
    if (s === null) return b;
    const rng = this.rng;
    const pick = (): number => ADDRS[rng.int(ADDRS.length)]!;
    const what = rng.int(4);
    if (what === 0 || what === 2) wr32(b, s.l3 + 12, pick());
    if (what === 1 || what === 2) wr32(b, s.l3 + 16, pick());
    if (what === 3 && (s.proto === 6 || s.proto === 17) && b.length >= s.l4 + 4)
      wr16(b, s.l4 + 2 * rng.int(2), PORTS[rng.int(PORTS.length)]!);
    return b;
  }

  private setTcpFlags(b: Buffer): Buffer {
    const s = ipv4Shape(b);
    if (s === null || s.proto !== 6 || b.length < s.l4 + 14) return b;
    b[s.l4 + 13] = [0x02, 0x12, 0x10, 0x11, 0x04, 0x14, 0x18, this.rng.int(256)][this.rng.int(8)]!;
    return b;
  }

  /**
   * struct virtio_net_hdr (little-endian): NEEDS_CSUM with csum_start/offset at the L4 checksum
   * when partial, GSO TCPV4 with a segment size when gso.
   */
  private vnetHeader(b: Buffer, partial: boolean, gso: boolean): Buffer {
    const v = Buffer.alloc(10);
    const s = ipv4Shape(b);
    if (partial) {
      v[0] = 1;
      const at = s === null ? -1 : l4CheckAt(s.proto);
      v.writeUInt16LE(s === null ? this.rng.int(0x10000) : s.l4, 6);
      v.writeUInt16LE(at < 0 ? this.rng.int(64) : at, 8);
    }
    if (gso) {
      v[1] = 1;
      v.writeUInt16LE(s === null ? 54 : s.l4 + 20, 2);
      v.writeUInt16LE(536 + this.rng.int(1000), 4);
    }
    return v;
  }
}
