// Benchmark: the IPv6 packet path's building blocks against IPv4's in the same run, per packet:
// parseFrame alone, parseFrame + rewriteDest(6) (NAT66 / NAT44 "in"), parseFrame + rewriteBoth(6)
// (full NAT), on a TCP segment without payload and one with 1536 bytes.
//
//   node --import tsx bench/packet6.bench.ts [rounds=3] [packets=2000000]
//
// Rounds interleave the cases (v4, v6, v4, v6, ...) so both see the same machine load; each
// figure is the median over the rounds of ns per packet, and the ratio is v6 / v4 of the medians.
// The destination alternates VIP <-> RIP so every packet really rewrites. IPv6 frames come from
// the golden table (test/fixtures/packets/golden6.json, made by make-goldens6.py).

import { rewriteBoth, rewriteDest } from '../src/nat/rewrite.ts';
import { rewriteBoth6, rewriteDest6 } from '../src/nat/rewrite6.ts';
import { parseInet6 } from '../src/lib/inet6.ts';
import { ParsedFrame, parseFrame } from '../src/packet/frame.ts';
import { buildFrame, fromHex, ipToU32 } from '../test/helpers/frames.ts';
import { loadGolden6 } from '../test/fixtures/packets/golden6.ts';

const rounds = Number(process.argv[2] ?? 3);
const packets = Number(process.argv[3] ?? 2_000_000);

const VIP = ipToU32('192.168.88.5');
const RIP = ipToU32('192.168.99.100');
const CIP = ipToU32('192.168.88.20');
const LIP = ipToU32('192.168.99.1');
// Conn-table-like columns: the four words of VIP, RIP, CLIENT, LIP at word offsets 0, 4, 8, 12.
const col6 = new Uint32Array(16);
['2001:db8:88::5', '2001:db8:99::100', '2001:db8:88::10', '2001:db8:99::1'].forEach((s, i) =>
  col6.set(parseInet6(s)!, 4 * i),
);

const golden = loadGolden6();
const v6small = fromHex(golden.find((c) => c.description.startsWith('IPv6 TCP SYN'))!.input);
const v6big = fromHex(golden.find((c) => c.description.startsWith('packet too big'))!.input);
const base = { src: '192.168.88.20', dst: '192.168.88.5', sport: 40001, dport: 80, proto: 'tcp' } as const;
const v4small = buildFrame({ ...base, flags: 'S' });
const v4big = buildFrame({ ...base, flags: 'A', payload: Buffer.alloc(1536, 0x5a) });

const f = new ParsedFrame();

type Op = (buf: Buffer, i: number) => void;
const parseOnly: Op = (buf) => {
  parseFrame(buf, 0, buf.length, 0, f);
};
const dnat4: Op = (buf, i) => {
  parseFrame(buf, 0, buf.length, 0, f);
  rewriteDest(buf, f, (i & 1) === 0 ? RIP : VIP, (i & 1) === 0 ? 8080 : 80);
};
const dnat6: Op = (buf, i) => {
  parseFrame(buf, 0, buf.length, 0, f);
  rewriteDest6(buf, f, col6, (i & 1) === 0 ? 4 : 0, (i & 1) === 0 ? 8080 : 80);
};
const full4: Op = (buf, i) => {
  parseFrame(buf, 0, buf.length, 0, f);
  const odd = (i & 1) === 0;
  rewriteBoth(buf, f, odd ? LIP : CIP, odd ? 5001 : 40001, odd ? RIP : VIP, odd ? 8080 : 80);
};
const full6: Op = (buf, i) => {
  parseFrame(buf, 0, buf.length, 0, f);
  const odd = (i & 1) === 0;
  rewriteBoth6(buf, f, col6, odd ? 12 : 8, odd ? 5001 : 40001, col6, odd ? 4 : 0, odd ? 8080 : 80);
};

const cases: [string, Op, Buffer, Op, Buffer][] = [
  ['parse only, TCP SYN', parseOnly, v4small, parseOnly, v6small],
  ['parse + rewriteDest, TCP SYN', dnat4, v4small, dnat6, v6small],
  ['parse + rewriteDest, TCP 1536-byte payload', dnat4, v4big, dnat6, v6big],
  ['parse + rewriteBoth (full NAT), TCP SYN', full4, v4small, full6, v6small],
];

function run(op: Op, buf: Buffer): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < packets; i++) op(buf, i);
  return Number(process.hrtime.bigint() - t0) / packets;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Warm-up: every op on every buffer, so the first timed round is not the JIT's.
for (const [, o4, b4, o6, b6] of cases) {
  run(o4, b4);
  run(o6, b6);
}
const res = cases.map(() => ({ v4: [] as number[], v6: [] as number[] }));
for (let r = 0; r < rounds; r++) {
  cases.forEach(([, o4, b4, o6, b6], i) => {
    res[i]!.v4.push(run(o4, b4));
    res[i]!.v6.push(run(o6, b6));
  });
}
console.log(`| case | IPv4 ns/packet | IPv6 ns/packet | IPv6 / IPv4 |`);
console.log(`|---|---:|---:|---:|`);
cases.forEach(([name], i) => {
  const a = median(res[i]!.v4);
  const b = median(res[i]!.v6);
  console.log(`| ${name} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)} |`);
});
