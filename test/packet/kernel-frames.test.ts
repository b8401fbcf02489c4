// Frames made by the Linux kernel (captured by make-goldens.py --kernel on a veth between two
// throwaway namespaces): the parser accepts them, and where the kernel itself answered (ARP
// reply, ICMP port unreachable, echo reply) our builders produce the kernel's bytes.

import t from 'tap';
import { DROP_NONE } from '../../src/lib/drops.ts';
import { rewriteDest, rewriteSource } from '../../src/nat/rewrite.ts';
import { arpReplyInPlace } from '../../src/packet/build-arp.ts';
import { ICMP_ERROR_MAX_FRAME, buildIcmpPortUnreach, icmpEchoReplyInPlace } from '../../src/packet/build-icmp.ts';
import { icmpChecksumOk } from '../../src/packet/icmp.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { fromHex, hex, ipToU32 } from '../helpers/frames.ts';
import {
  expectedL4Checksum,
  l4ChecksumField,
  verifyIpChecksum,
  verifyL4Checksum,
  verifyPartialChecksum,
} from '../helpers/frame-checks.ts';
import { loadKernelFrames, type KernelFrame } from '../fixtures/packets/golden.ts';

const frames = loadKernelFrames();
const A_MAC = Buffer.from([2, 0, 0, 0, 0xaa, 1]);
const A_IP = ipToU32('10.200.0.1');

function get(kind: string, partial = 0): KernelFrame {
  const fr = frames.find((x) => x.kind === kind && x.rxFlags === partial);
  if (fr === undefined) throw new Error(`no kernel frame ${kind}/${partial}`);
  return fr;
}

function parsed(fr: KernelFrame): { buf: Buffer; f: ParsedFrame } {
  const buf = fromHex(fr.input);
  const f = new ParsedFrame();
  const v = parseFrame(buf, 0, buf.length, fr.rxFlags, f);
  if (v !== DROP_NONE) throw new Error(`${fr.kind}: verdict ${v}`);
  return { buf, f };
}

t.test('every kernel-made frame parses with verdict none and verifies (full or partial)', async (t) => {
  t.equal(frames.length, 10);
  for (const fr of frames) {
    const { buf, f } = parsed(fr);
    if (f.ethType !== 0x0800) continue;
    t.ok(verifyIpChecksum(buf), `${fr.kind} IP checksum`);
    if (fr.rxFlags !== 0) t.ok(verifyPartialChecksum(buf), `${fr.kind} partial checksum is the pseudo-header sum`);
    else t.ok(verifyL4Checksum(buf), `${fr.kind} L4 checksum`);
  }
});

t.test('the kernel reports CHECKSUM_PARTIAL for TCP and UDP when veth tx offload is on', async (t) => {
  t.same(
    frames.filter((x) => x.rxFlags !== 0).map((x) => x.kind),
    ['tcp-syn', 'udp'],
  );
});

t.test('arpReplyInPlace turns the kernel ARP request into the kernel ARP reply byte for byte', async (t) => {
  const { buf, f } = parsed(get('arp-request'));
  t.equal(f.arpTpa, A_IP);
  const n = arpReplyInPlace(buf, f, A_MAC, 0);
  t.equal(hex(buf.subarray(0, n)), get('arp-reply').input);
});

t.test('buildIcmpPortUnreach quotes the kernel UDP datagram exactly as the kernel port unreachable does', async (t) => {
  const { buf, f } = parsed(get('udp'));
  const kernel = fromHex(get('port-unreachable').input);
  const ipId = kernel.readUInt16BE(18); // the kernel's IP ID (ip_select_ident) is not ours to guess
  const out = Buffer.alloc(ICMP_ERROR_MAX_FRAME);
  const n = buildIcmpPortUnreach(out, 0, buf, f, A_IP, ipId);
  t.equal(hex(out.subarray(0, n)), hex(kernel));
});

t.test('icmpEchoReplyInPlace matches the kernel echo reply except the IP ID (and so the IP checksum)', async (t) => {
  const { buf, f } = parsed(get('echo-request'));
  t.ok(icmpChecksumOk(buf, f));
  const n = icmpEchoReplyInPlace(buf, f);
  const kernel = fromHex(get('echo-reply').input);
  t.equal(n, kernel.length);
  const ours = Buffer.from(buf.subarray(0, n));
  t.ok(verifyIpChecksum(ours));
  // The kernel picks a fresh ID for its reply; we keep the request's. Mask ID + IP checksum.
  for (const b of [ours, kernel]) b.fill(0, 18, 20).fill(0, 24, 26);
  t.equal(hex(ours), hex(kernel));
});

t.test('DNAT of the kernel SYN, full and partial checksum, equals a from-scratch checksum', async (t) => {
  for (const partial of [0, 1]) {
    const { buf, f } = parsed(get('tcp-syn', partial));
    rewriteDest(buf, f, ipToU32('10.200.9.9'), 8080);
    t.equal(buf.readUInt16BE(36), 8080);
    t.ok(verifyIpChecksum(buf));
    t.equal(l4ChecksumField(buf), expectedL4Checksum(buf, partial === 1), `partial=${partial}`);
  }
});

t.test('SNAT of the kernel RST and UDP (partial) equals a from-scratch checksum', async (t) => {
  const rst = parsed(get('tcp-rst'));
  rewriteSource(rst.buf, rst.f, ipToU32('192.168.88.5'), 443);
  t.equal(l4ChecksumField(rst.buf), expectedL4Checksum(rst.buf));
  const udp = parsed(get('udp', 1));
  rewriteSource(udp.buf, udp.f, ipToU32('192.168.88.5'), 5353);
  t.equal(l4ChecksumField(udp.buf), expectedL4Checksum(udp.buf, true));
});
