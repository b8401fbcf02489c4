// MemoryIo, the in-memory PacketIo of the unit tests: batches, flags, vnet headers, TX capture.
import t from 'tap';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { type RxBatch } from '../../src/datapath/packet-io.ts';
import { RXF_CSUM_PARTIAL, RXF_GSO, RXF_VNET_HDR, VNET_HDR_LEN } from '../../src/packet/rx-flags.ts';

const frame = (n: number, len: number): Buffer =>
  Buffer.from(Array.from({ length: len }, (_, i) => (n * 31 + i) & 0xff));

t.test('memory-io describes its ports with names, MACs and MTUs', async (t) => {
  const io = new MemoryIo([{ name: 'eth0' }, { name: 'eth1', mac: '02:aa:bb:cc:dd:ee', mtu: 9000, ifindex: 7 }]);
  t.same(
    io.ports.map((p) => [p.name, p.ifindex, p.mac.toString('hex'), p.mtu]),
    [
      ['eth0', 1, '020000000001', 1500],
      ['eth1', 7, '02aabbccddee', 9000],
    ],
  );
  t.throws(() => parseMac('02:aa:bb'), { message: 'bad MAC address: 02:aa:bb' });
});

t.test('memory-io delivers injected frames in batches with their bytes, flags and ports', async (t) => {
  const io = new MemoryIo([{ name: 'a' }, { name: 'b' }], { batchSize: 2 });
  const seen: { count: number; frames: string[]; flags: number[]; ports: number[] }[] = [];
  io.start((b: RxBatch) => {
    const frames: string[] = [];
    for (let i = 0; i < b.count; i++) frames.push(b.buf.subarray(b.off[i]!, b.off[i]! + b.len[i]!).toString('hex'));
    seen.push({
      count: b.count,
      frames,
      flags: [...b.flags.subarray(0, b.count)],
      ports: [...b.port.subarray(0, b.count)],
    });
  });
  for (let n = 0; n < 5; n++) io.inject(n % 2, frame(n, 60 + n), n === 3 ? RXF_CSUM_PARTIAL : 0);
  t.equal(io.pending, 5);
  t.equal(io.deliver(), 3);
  t.equal(io.pending, 0);
  t.same(
    seen.map((s) => s.count),
    [2, 2, 1],
  );
  t.same(
    seen.flatMap((s) => s.frames),
    [0, 1, 2, 3, 4].map((n) => frame(n, 60 + n).toString('hex')),
  );
  t.same(
    seen.flatMap((s) => s.flags),
    [0, 0, 0, RXF_CSUM_PARTIAL, 0],
  );
  t.same(
    seen.flatMap((s) => s.ports),
    [0, 1, 0, 1, 0],
  );
});

t.test('memory-io puts a virtio_net_hdr just before the frame and flags it', async (t) => {
  const io = new MemoryIo([{ name: 'a' }]);
  const vnet = Buffer.from([1, 1, 66, 0, 0xa8, 5, 34, 0, 16, 0]); // NEEDS_CSUM, TCPV4, hdr 66, gso 1448
  let got = '';
  let flags = 0;
  io.start((b) => {
    got = b.buf.subarray(b.off[0]! - VNET_HDR_LEN, b.off[0]!).toString('hex');
    flags = b.flags[0]!;
  });
  io.inject(0, frame(1, 100), RXF_CSUM_PARTIAL | RXF_GSO, vnet);
  io.deliver();
  t.equal(got, vnet.toString('hex'));
  t.equal(flags, RXF_CSUM_PARTIAL | RXF_GSO | RXF_VNET_HDR);
});

t.test('memory-io sends what the batch queued when the batch returns, per port and byte-exact', async (t) => {
  const io = new MemoryIo([{ name: 'a' }, { name: 'b' }], { batchSize: 4 });
  io.start((b) => {
    for (let i = 0; i < b.count; i++) {
      b.buf[b.off[i]!] = 0xee; // rewrite in place, then send out the other port
      t.equal(io.queueTx(b.port[i]! ^ 1, b.buf, b.off[i]!, b.len[i]!, b.flags[i]!), true);
    }
    t.equal(io.queued, b.count);
  });
  const vnet = Buffer.from([1, 0, 0, 0, 0, 0, 34, 0, 16, 0]);
  io.inject(0, frame(1, 64));
  io.inject(1, frame(2, 70), 0, vnet);
  io.deliver();
  t.equal(io.queued, 0);
  t.equal(io.flushes, 1);
  const want1 = frame(1, 64);
  want1[0] = 0xee;
  const want2 = frame(2, 70);
  want2[0] = 0xee;
  t.same(
    io.sentOn(1).map((f) => [f.frame.toString('hex'), f.flags, f.vnet]),
    [[want1.toString('hex'), 0, null]],
  );
  t.same(
    io.sentOn(0).map((f) => [f.frame.toString('hex'), f.flags, f.vnet?.toString('hex')]),
    [[want2.toString('hex'), RXF_VNET_HDR, vnet.toString('hex')]],
  );
});

t.test('memory-io refuses frames once its TX queue is full, as a real backend does', async (t) => {
  const io = new MemoryIo([{ name: 'a' }], { txCapacity: 2 });
  const buf = frame(9, 64);
  t.same(
    [
      io.queueTx(0, buf, 0, 64, 0),
      io.queueTx(0, buf, 0, 64, 0),
      io.queueTx(0, buf, 0, 64, 0),
      io.queueTx(5, buf, 0, 64, 0),
    ],
    [true, true, false, false],
  );
  io.flush();
  t.equal(io.sent.length, 2);
  t.equal(io.queueTx(0, buf, 0, 64, 0), true);
  io.close();
  t.equal(io.queueTx(0, buf, 0, 64, 0), false);
});

t.test('memory-io still flushes the queue when the batch callback throws', async (t) => {
  const io = new MemoryIo([{ name: 'a' }]);
  io.start((b) => {
    io.queueTx(0, b.buf, b.off[0]!, b.len[0]!, 0);
    throw new Error('pipeline bug');
  });
  io.inject(0, frame(3, 60));
  t.throws(() => io.deliver(), { message: 'pipeline bug' });
  t.equal(io.sent.length, 1);
});
