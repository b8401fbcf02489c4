// fwd: the JS side of the packet I/O bench, a one-way MAC-rewrite forwarder on AfPacketIo.
//   node --import tsx bench/io/fwd.ts <in-if> <out-if> <next-hop-mac> [2|3] [poll-interval-us]
// Every frame received on <in-if> leaves <out-if> with dst = next hop, src = <out-if>'s MAC.
// Prints "ready", and on SIGTERM one JSON line of counters, including the event-loop delay (how long
// a timer could wait behind the batch loop).

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AfPacketIo } from '../../src/io/af-packet.ts';
import type { RxBatch } from '../../src/datapath/packet-io.ts';
import { parseMac } from '../../src/packet/ethernet.ts';

const [inIf, outIf, hop, ver, pollUs] = process.argv.slice(2);
if (!inIf || !outIf || !hop) {
  process.stderr.write('usage: fwd.ts <in-if> <out-if> <next-hop-mac> [2|3]\n');
  process.exit(2);
}
const io = AfPacketIo.open([inIf, outIf], {
  ringVersion: ver === '3' ? 3 : 2,
  ...(pollUs === undefined ? {} : { pollIntervalUs: Number(pollUs) }),
});
const dst = parseMac(hop);
const src = io.ports[1]!.mac;
// The 12 MAC bytes to write, as three 32-bit words (written by offset, no allocation per frame).
const macs = Buffer.concat([dst, src]);
const w0 = macs.readUInt32LE(0);
const w1 = macs.readUInt32LE(4);
const w2 = macs.readUInt32LE(8);

let batches = 0;
let frames = 0;
let dropped = 0;

io.start((b: RxBatch) => {
  const buf = b.buf;
  batches++;
  for (let i = 0; i < b.count; i++) {
    if (b.port[i] !== 0) continue;
    const off = b.off[i]!;
    buf.writeUInt32LE(w0, off);
    buf.writeUInt32LE(w1, off + 4);
    buf.writeUInt32LE(w2, off + 8);
    if (io.queueTx(1, buf, off, b.len[i]!, b.flags[i]!)) frames++;
    else dropped++;
  }
});
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
process.stdout.write('ready\n');

process.on('SIGTERM', () => {
  const stats = io.stats();
  const loop = io.loopStats();
  io.close();
  eld.disable();
  const loopDelayMs = { p99: +(eld.percentile(99) / 1e6).toFixed(1), max: +(eld.max / 1e6).toFixed(1) };
  const perBatch = +(frames / Math.max(1, batches)).toFixed(1);
  process.stdout.write(JSON.stringify({ batches, frames, dropped, perBatch, loopDelayMs, loop, stats }) + '\n', () =>
    process.exit(0),
  );
});
