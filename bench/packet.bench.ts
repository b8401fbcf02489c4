// Benchmark: parseFrame + rewriteDest (incremental checksum update) per packet, on a 60-byte TCP
// ACK (64 on the wire), a 1514-byte TCP segment, a CHECKSUM_PARTIAL one and a 64 KiB GSO
// superpacket; plus reference points (parse only, UDP with checksum 0 = full computation).
//
//   node --import tsx bench/packet.bench.ts
//
// Each op is one packet. The destination alternates VIP <-> RIP so each op really rewrites.
// Figures go into bench/RESULTS-packet.md by hand (machine noise: the host is shared).

import b from 'benny';
import { rewriteBoth, rewriteDest } from '../src/nat/rewrite.ts';
import { csumPartial } from '../src/packet/checksum.ts';
import { ParsedFrame, parseFrame } from '../src/packet/frame.ts';
import { buildFrame, ipToU32 } from '../test/helpers/frames.ts';

const VIP = ipToU32('192.168.88.5');
const RIP = ipToU32('192.168.99.100');
const LIP = ipToU32('192.168.99.1');
const CIP = ipToU32('192.168.88.20');
const RXF_CSUM_PARTIAL = 1;
const RXF_GSO = 4;

const base = { src: '192.168.88.20', dst: '192.168.88.5', sport: 40001, dport: 80 } as const;
const tcp60 = buildFrame({ ...base, proto: 'tcp', flags: 'A', pad: 6 });
const tcp1514 = buildFrame({ ...base, proto: 'tcp', flags: 'PA', payload: Buffer.alloc(1460, 0x5a) });
const partial1514 = buildFrame({
  ...base,
  proto: 'tcp',
  flags: 'PA',
  payload: Buffer.alloc(1460, 0x5a),
  partialCsum: true,
});
const gso64k = buildFrame({
  ...base,
  proto: 'tcp',
  flags: 'PA',
  payload: Buffer.alloc(65495 - 20, 0x5a),
  partialCsum: true,
});
const udpZero1514 = buildFrame({
  ...base,
  dport: 53,
  proto: 'udp',
  payload: Buffer.alloc(1472, 0x5a),
  udpZeroCsum: true,
});

const f = new ParsedFrame();
let flip = 0;

/** One packet: parse, then DNAT to the other address (VIP <-> RIP) and port. */
function dnat(buf: Buffer, rx: number): () => void {
  return () => {
    parseFrame(buf, 0, buf.length, rx, f);
    flip ^= 1;
    rewriteDest(buf, f, flip === 1 ? RIP : VIP, flip === 1 ? 8080 : 80);
  };
}

const caseOpts = { minSamples: 20, maxTime: 2 };

await b.suite(
  'tsvs packet path: ns per packet',
  b.configure({ cases: caseOpts }),
  b.add('parse only, 60-byte TCP', () => {
    parseFrame(tcp60, 0, tcp60.length, 0, f);
  }),
  b.add('parse + rewriteDest, 60-byte TCP (full checksum)', dnat(tcp60, 0)),
  b.add('parse + rewriteDest, 1514-byte TCP (full checksum)', dnat(tcp1514, 0)),
  b.add('parse + rewriteDest, 1514-byte TCP (CHECKSUM_PARTIAL)', dnat(partial1514, RXF_CSUM_PARTIAL)),
  b.add('parse + rewriteDest, 64 KiB GSO TCP (CHECKSUM_PARTIAL)', dnat(gso64k, RXF_CSUM_PARTIAL | RXF_GSO)),
  b.add('parse + rewriteBoth (full NAT), 60-byte TCP', () => {
    parseFrame(tcp60, 0, tcp60.length, 0, f);
    flip ^= 1;
    rewriteBoth(
      tcp60,
      f,
      flip === 1 ? LIP : CIP,
      flip === 1 ? 5001 : 40001,
      flip === 1 ? RIP : VIP,
      flip === 1 ? 8080 : 80,
    );
  }),
  b.add('parse + rewriteDest, 1514-byte UDP with checksum 0 (full computation)', () => {
    parseFrame(udpZero1514, 0, udpZero1514.length, 0, f);
    udpZero1514.writeUInt16BE(0, 40); // keep it a zero-checksum datagram for every op
    rewriteDest(udpZero1514, f, RIP, 5353);
  }),
  b.add('csumPartial over 1480 bytes (reference)', () => {
    csumPartial(tcp1514, 34, 1480, 0);
  }),
  b.cycle(),
  b.complete((summary) => {
    // A markdown table for bench/RESULTS-packet.md.
    console.log('\n| case | ns/packet | Mpps | \u00b1% | samples |\n|---|---:|---:|---:|---:|');
    for (const r of summary.results) {
      console.log(
        `| ${r.name} | ${(1e9 / r.ops).toFixed(1)} | ${(r.ops / 1e6).toFixed(2)} | ${r.margin.toFixed(1)} | ${r.samples} |`,
      );
    }
  }),
);
