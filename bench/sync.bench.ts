// Benchmark: what connection sync costs the master. Two engines in one process, the same
// workload, rounds interleaved (off, on, off, on, ...): short TCP connections through
// Pipeline.processBatch, each 8 frames (in SYN, out SYN-ACK, in ACK, in data, out ACK, in FIN,
// out FIN, in ACK), so 3 sync entries a connection (ESTABLISHED at its 3rd inbound packet,
// CLOSE_WAIT and TIME_WAIT at once). The "on" engine runs a SyncMaster (MODE below). CPU is
// process.cpuUsage() (user + system) per connection; reported: the medians of the rounds, the
// median of the per-round on/off ratios (the engine going first alternates), and the sync bytes
// on the wire (UDP payload + 28 bytes of IPv4/UDP header per message) per 1,000 new conns/s.
//
//   node --import tsx bench/sync.bench.ts [ROUNDS=9] [CONNS_PER_ROUND=4096] [ring|ring-sum|socket|nosend|hook|aa]
//
// Run it built (npx tsc -p tsconfig.build.json && node dist/bench/sync.bench.js ...) for figures:
// under tsx every imported constant is read through a getter, which the packet path does
// hundreds of times per connection and the built tsvsd never does.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { RxBatch } from '../src/datapath/packet-io.ts';
import { SyncConnState } from '../src/sync/sync-conn-state.ts';
import { SyncMaster } from '../src/sync/sync-master.ts';
import { SYNC_FRAME_HDR_LEN, SYNC_FRAME_HEADROOM, writeSyncFrame } from '../src/sync/sync-frame.ts';
import { RXF_VNET_HDR } from '../src/packet/rx-flags.ts';
import { DEFAULT_SYNC_MAXLEN, defaultSyncSysctls } from '../src/sync/sync-proto.ts';
import { ipToU32 } from '../test/helpers/frames.ts';
import { BATCH, makeEngine, roundFrames, run } from './sync-workload.ts';

const ROUNDS = Number(process.argv[2] ?? 9);
const PER_ROUND = Number(process.argv[3] ?? 4096);
/**
 * How messages leave (src/daemon/sync-daemon.ts): 'ring' (default) as whole frames queued on the
 * engine's TX queue, flushed once per drain, the UDP checksum left to the kernel as the native
 * rings do ('ring-sum': summed here, as for libpcap) (here a null backend: the native ring's one send
 * call per flush is not counted); 'socket' through a UDP socket to a receiver on 127.0.0.1 in a
 * child process (one sendmsg a message, counted); 'nosend' written but not sent; 'hook' the
 * pipeline calls an empty hook (the call alone); 'aa' no sync on either engine (the bench's bias).
 */
const MODE = process.argv[4] ?? 'ring';

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

async function main(): Promise<void> {
  const receiver = spawn(
    process.execPath,
    [
      '-e',
      "require('node:dgram').createSocket('udp4').bind(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) =>
    receiver.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))),
  );
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  // Connected, as the kernel's master socket is (make_send_sock): no address lookup per send.
  await new Promise<void>((r) => sock.connect(port, '127.0.0.1', () => r()));
  const off = makeEngine();
  const on = makeEngine();
  const frame = {
    srcMac: Buffer.from([2, 0, 0, 0, 0, 2]),
    saddr: ipToU32('192.168.99.5'),
    group: 0xe0000051,
    ttl: 1,
    sport: 40000,
    dport: 8848,
  };
  let ipId = 0;
  const master = new SyncMaster(
    on.conns.table,
    new SyncConnState(on.conns.table.capacity),
    defaultSyncSysctls(),
    1,
    DEFAULT_SYNC_MAXLEN,
    {
      send: (buf, off, len, done) => {
        if (MODE === 'socket') return void sock.send(buf, off, len, () => done());
        if (MODE === 'ring' || MODE === 'ring-sum') {
          // 'ring' as through the native rings: the UDP checksum left to the kernel (virtio_net_hdr);
          // 'ring-sum' as through libpcap: summed here.
          const offload = MODE === 'ring';
          const f = writeSyncFrame(buf, off, len, frame, (ipId = (ipId + 1) & 0xffff), offload);
          on.io.queueTx(1, buf, f, len + SYNC_FRAME_HDR_LEN, offload ? RXF_VNET_HDR : 0);
        }
        done();
      },
      wake: () => {},
    },
    MODE.startsWith('ring') ? SYNC_FRAME_HEADROOM : 0,
  );
  // 'aa': both engines without sync, the bench's own bias (an A/A run).
  if (MODE === 'hook') on.pipeline.sync = { syncConn: (): void => {} };
  else if (MODE !== 'aa') on.pipeline.sync = master;
  const batch = new RxBatch(BATCH);
  const usOff: number[] = [];
  const usOn: number[] = [];
  const ratios: number[] = [];
  let next = 0;
  // One warm-up round each, not counted.
  for (let r = -1; r < ROUNDS; r++) {
    const frames = roundFrames(next, PER_ROUND);
    next += PER_ROUND;
    // Alternate which engine goes first, so drifts of a noisy box fall on both alike.
    const copy = { ...frames, buf: Buffer.from(frames.buf) };
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = run(off, copy, PER_ROUND, batch);
      await new Promise((res) => setImmediate(res)); // let the send callbacks return the buffers
      b = run(on, frames, PER_ROUND, batch);
    } else {
      b = run(on, frames, PER_ROUND, batch);
      await new Promise((res) => setImmediate(res));
      a = run(off, copy, PER_ROUND, batch);
    }
    await new Promise((res) => setImmediate(res));
    if (r >= 0) {
      usOff.push(a);
      usOn.push(b);
      ratios.push(b / a);
    }
  }
  const conns = (ROUNDS + 1) * PER_ROUND;
  const msgs = master.messagesSent;
  const wireBytes = master.bytesSent + msgs * 28;
  const mOff = median(usOff);
  const mOn = median(usOn);
  process.stdout.write(
    `mode ${MODE}, connections per round ${PER_ROUND}, rounds ${ROUNDS} (+1 warm-up), 8 frames each\n` +
      `CPU per new connection: sync off ${mOff.toFixed(2)} us, sync on ${mOn.toFixed(2)} us (medians); ` +
      `median of the per-round ratios on/off ${median(ratios).toFixed(3)}x\n` +
      `  rounds off: ${usOff.map((x) => x.toFixed(2)).join(' ')}\n  rounds on:  ${usOn.map((x) => x.toFixed(2)).join(' ')}\n` +
      `sync: ${master.connsSynced} entries (${(master.connsSynced / conns).toFixed(2)} a connection) in ${msgs} messages, ` +
      `${(wireBytes / conns).toFixed(1)} bytes a connection on the wire (IPv4+UDP headers included), dropped ${master.connsDropped}\n` +
      `sync bandwidth at 1,000 new connections/s: ${(((wireBytes / conns) * 1000 * 8) / 1000).toFixed(1)} kbit/s, ${((msgs / conns) * 1000).toFixed(1)} messages/s\n`,
  );
  sock.close();
  receiver.kill('SIGTERM');
  off.stop();
  on.stop();
}

void main();
