// pcap files: byte-exact round trips (us and ns), tshark reading them, PcapFileIo replay.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapFileIo } from '../../src/io/pcap-file-io.ts';
import { PcapReader, PcapWriter, readPcapFrames } from '../../src/packet/pcap-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-pcap-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic frames: Ethernet/IPv4/UDP 10.0.0.<n> -> 10.0.1.1, length 60 + 37n, payload from a seed. */
function udpFrame(n: number): Buffer {
  const len = 60 + 37 * n;
  const f = Buffer.alloc(len);
  Buffer.from('02000000000202000000000108004500', 'hex').copy(f, 0);
  f.writeUInt16BE(len - 14, 16);
  f[22] = 64;
  f[23] = 17;
  Buffer.from([10, 0, 0, n & 0xff, 10, 0, 1, 1]).copy(f, 26);
  f.writeUInt16BE(1000 + n, 34);
  f.writeUInt16BE(53, 36);
  f.writeUInt16BE(len - 34, 38);
  let s = n * 2654435761;
  for (let i = 42; i < len; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    f[i] = s >>> 24;
  }
  return f;
}

const tshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

function tsharkFields(path: string, fields: string[]): string[] {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

for (const nanosecond of [false, true]) {
  const unit = nanosecond ? 'nanosecond' : 'microsecond';
  t.test(`a ${unit} pcap file reads back byte-exact with its timestamps`, async (t) => {
    const path = join(dir, `rt-${unit}.pcap`);
    // A small write buffer, so records also cross buffer flushes and the direct-write path.
    const w = new PcapWriter(path, { nanosecond, bufferBytes: 4096 });
    const frames = Array.from({ length: 200 }, (_, n) => udpFrame(n % 120));
    const big = Buffer.concat([udpFrame(1), Buffer.alloc(9000, 0xab)]);
    frames.push(big);
    frames.forEach((f, i) => w.write(f, 0, f.length, 1_700_000_000 + i, 123_456_789 + i));
    t.equal(w.count, 201);
    w.close();
    const back = readPcapFrames(path);
    t.equal(back.length, 201);
    t.ok(back.every((b, i) => b.frame.equals(frames[i]!) && b.origlen === frames[i]!.length));
    t.same(
      back.slice(0, 2).map((b) => [b.tsSec, b.tsNsec]),
      nanosecond
        ? [
            [1_700_000_000, 123_456_789],
            [1_700_000_001, 123_456_790],
          ]
        : [
            [1_700_000_000, 123_456_000],
            [1_700_000_001, 123_456_000],
          ],
    );
    const r = PcapReader.fromFile(path);
    t.same([r.nanosecond, r.linktype, r.snaplen, r.bigEndian], [nanosecond, 1, 262144, false]);
  });
}

t.test('tshark reads the frames the writer wrote', { skip: tshark ? false : 'tshark is not installed' }, async (t) => {
  const path = join(dir, 'tshark.pcap');
  const w = new PcapWriter(path, { nanosecond: true });
  for (let n = 0; n < 5; n++) {
    const f = udpFrame(n + 1);
    w.write(f, 0, f.length, 1_700_000_000, n * 1000);
  }
  w.close();
  t.same(tsharkFields(path, ['frame.len', 'eth.src', 'ip.src', 'udp.srcport', 'udp.dstport']), [
    '97\t02:00:00:00:00:01\t10.0.0.1\t1001\t53',
    '134\t02:00:00:00:00:01\t10.0.0.2\t1002\t53',
    '171\t02:00:00:00:00:01\t10.0.0.3\t1003\t53',
    '208\t02:00:00:00:00:01\t10.0.0.4\t1004\t53',
    '245\t02:00:00:00:00:01\t10.0.0.5\t1005\t53',
  ]);
});

t.test('frames longer than the snaplen keep their original length', async (t) => {
  const path = join(dir, 'snap.pcap');
  const w = new PcapWriter(path, { snaplen: 64 });
  const f = udpFrame(4);
  w.write(f, 0, f.length, 1, 0);
  w.close();
  const [r] = readPcapFrames(path);
  t.same([r?.frame.length, r?.origlen], [64, 208]);
  t.ok(r?.frame.equals(f.subarray(0, 64)));
});

t.test('the reader takes big-endian files and refuses what is not pcap', async (t) => {
  const be = Buffer.alloc(24 + 16 + 4);
  be.writeUInt32BE(0xa1b2c3d4, 0);
  be.writeUInt16BE(2, 4);
  be.writeUInt16BE(4, 6);
  be.writeUInt32BE(65535, 16);
  be.writeUInt32BE(1, 20);
  be.writeUInt32BE(7, 24);
  be.writeUInt32BE(9, 28);
  be.writeUInt32BE(4, 32);
  be.writeUInt32BE(4, 36);
  be.write('abcd', 40);
  const r = new PcapReader(be);
  t.same(
    [r.bigEndian, r.next(), r.tsSec, r.tsNsec, r.caplen, r.data.toString('utf8', r.off, r.off + r.caplen), r.next()],
    [true, true, 7, 9000, 4, 'abcd', false],
  );
  const ng = join(dir, 'x.pcapng');
  writeFileSync(ng, Buffer.concat([Buffer.from('0a0d0d0a1c0000004d3c2b1a', 'hex'), Buffer.alloc(16)]));
  t.throws(() => PcapReader.fromFile(ng), {
    code: 'PCAP_FORMAT',
    message: `${ng}: not a pcap file (magic 0xa0d0d0a); pcapng is not supported`,
  });
  t.throws(() => new PcapReader(Buffer.alloc(3)), {
    code: 'PCAP_FORMAT',
    message: 'pcap data: too short for a pcap header',
  });
});

t.test('PcapFileIo replays two captures in time order through a forwarder and records what it sends', async (t) => {
  const in0 = join(dir, 'in0.pcap');
  const in1 = join(dir, 'in1.pcap');
  const out0 = join(dir, 'out0.pcap');
  const out1 = join(dir, 'out1.pcap');
  // Port 0 gets frames at t = 0, 2, 4 s; port 1 at t = 1, 3 s.
  const w0 = new PcapWriter(in0, { nanosecond: true });
  const w1 = new PcapWriter(in1);
  for (const n of [0, 2, 4]) w0.write(udpFrame(n + 1), 0, udpFrame(n + 1).length, 100 + n, 5);
  for (const n of [1, 3]) w1.write(udpFrame(n + 1), 0, udpFrame(n + 1).length, 100 + n, 7000);
  w0.close();
  w1.close();
  const io = new PcapFileIo(
    [
      { name: 'p0', mac: '02:00:00:00:0a:00', input: in0, output: out0 },
      { name: 'p1', mac: '02:00:00:00:0a:01', input: in1, output: out1 },
    ],
    { batchSize: 2 },
  );
  const order: number[] = [];
  io.start((b) => {
    for (let i = 0; i < b.count; i++) {
      const off = b.off[i]!;
      order.push(b.buf[off + 29]!); // 10.0.0.<n>
      const out = b.port[i]! ^ 1;
      io.ports[out]!.mac.copy(b.buf, off + 6); // src = our MAC on the way out
      io.queueTx(out, b.buf, off, b.len[i]!, 0);
    }
  });
  await io.done;
  io.close();
  t.same(order, [1, 2, 3, 4, 5]);
  const got1 = readPcapFrames(out1);
  const got0 = readPcapFrames(out0);
  const expect = (n: number, mac: string): string => {
    const f = udpFrame(n);
    Buffer.from(mac.replaceAll(':', ''), 'hex').copy(f, 6);
    return f.toString('hex');
  };
  t.same(
    got1.map((g) => g.frame.toString('hex')),
    [1, 3, 5].map((n) => expect(n, '02:00:00:00:0a:01')),
  );
  t.same(
    got0.map((g) => g.frame.toString('hex')),
    [2, 4].map((n) => expect(n, '02:00:00:00:0a:00')),
  );
  t.same(
    got1.map((g) => [g.tsSec, g.tsNsec]),
    [
      [100, 5],
      [102, 5],
      [104, 5],
    ],
  );
  t.same(
    got0.map((g) => [g.tsSec, g.tsNsec]),
    [
      [101, 7000],
      [103, 7000],
    ],
  );
  if (tshark)
    t.same(tsharkFields(out1, ['eth.src', 'ip.src']), [
      '02:00:00:00:0a:01\t10.0.0.1',
      '02:00:00:00:0a:01\t10.0.0.3',
      '02:00:00:00:0a:01\t10.0.0.5',
    ]);
  t.ok(readFileSync(out0).length > 24);
});
