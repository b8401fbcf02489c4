// The pipeline fuzzer under npm test: 100k frames of a fixed seed keep every invariant, and the
// invariant checkers do fail on a broken frame and a broken table (a checker that cannot fail
// proves nothing).
import t from 'tap';
import type { ConnIndex } from '../../src/conn/conn-index.ts';
import { CONN_F_FWD_MASK, CONN_F_HASHED, CONN_F_LIVE, CONN_F_SYNPROXY } from '../../src/conn/conn-flags.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { buildFrame, type FrameSpec } from '../../test/helpers/frames.ts';
import { checkTxFrame } from './frame-invariants.ts';
import { ipv4Shape, l4Residual } from './frame-view.ts';
import { Fuzzer } from './fuzzer.ts';
import { checkRewrite } from './rewrite-invariants.ts';
import { checkConnTable } from './table-invariants.ts';

const MAC = Buffer.from([2, 0, 0, 0, 0, 2]);
const seg: FrameSpec = {
  srcMac: '02:00:00:00:00:02',
  src: '192.168.99.6',
  dst: '192.168.99.100',
  proto: 'tcp',
  sport: 1025,
  dport: 8443,
  flags: 'PA',
  payload: 'GET / HTTP/1.1\r\n\r\n',
};
const full = { partial: false, residual: 0xffff, recentBad: null };

t.test('100k fuzzed frames of seed 1: no exception, no broken frame, a consistent table', async (t) => {
  const fz = new Fuzzer({ seed: 1 });
  fz.run(100_000);
  t.equal(fz.exceptions, 0, 'no exception escapes');
  t.equal(fz.checks.frameViolations, 0, 'every emitted frame keeps the frame invariants');
  t.equal(fz.checks.tableViolations, 0, 'the table stays consistent');
  t.same(fz.checks.log.findings, []);
  // The run reached the NAT paths, not only the header checks.
  const k = fz.checks.emittedKinds;
  t.ok(
    k.tcp > 1000 && k.udp > 1000 && k.icmpError > 100,
    `emitted TCP ${k.tcp}, UDP ${k.udp}, ICMP errors ${k.icmpError}`,
  );
  const tab = fz.lab.engine.conns.table;
  const fwds = new Set<number>();
  for (let id = 0; id < tab.capacity; id++) if (tab.isLive(id)) fwds.add(tab.flags[id]! & CONN_F_FWD_MASK);
  t.ok(fwds.has(FWD_MASQ) && fwds.has(FWD_FULLNAT), 'classic and full NAT connections are live at the end');
  // The SYN proxy services were reached: cookies proven, and proxied connections among the live ones.
  const sp = fz.lab.engine.pipeline.synproxy;
  t.ok(sp.cookiesValidated > 10, `SYN proxy: ${sp.cookiesSent} cookies sent, ${sp.cookiesValidated} proven`);
  let proxied = 0;
  for (let id = 0; id < tab.capacity; id++) if (tab.isLive(id) && (tab.flags[id]! & CONN_F_SYNPROXY) !== 0) proxied++;
  t.ok(proxied > 0, `${proxied} proxied connections are live at the end`);
  fz.close();
});

t.test('the same seed replays the same frames and outcomes; another seed does not', async (t) => {
  const run = (seed: number): string => {
    const seen: string[] = [];
    const fz = new Fuzzer({
      seed,
      tableEvery: 64,
      watch: (i, m) => i % 97 === 0 && seen.push(m.frame.toString('hex')),
    });
    fz.run(20_000);
    fz.close();
    return `${seen.join()} ${fz.checks.emitted} ${fz.lab.engine.drops.counts.join()}`;
  };
  t.equal(run(1), run(1));
  t.not(run(1), run(2));
});

t.test('the frame checker reports broken checksums, lengths and MACs', async (t) => {
  const good = buildFrame(seg);
  t.equal(checkTxFrame(good, MAC, full), null, 'a well-formed frame passes');
  const ipCsum = Buffer.from(good);
  ipCsum[24]! ^= 0x01;
  t.equal(checkTxFrame(ipCsum, MAC, full), 'IPv4 header checksum is wrong');
  const tcpCsum = Buffer.from(good);
  tcpCsum[50]! ^= 0x10;
  t.match(checkTxFrame(tcpCsum, MAC, full), /^TCP checksum is wrong \(full, residual 0x/);
  const long = buildFrame({ ...seg, totLenOverride: 100 });
  t.equal(checkTxFrame(long, MAC, full), 'IP total length 100 does not fit the 72-byte frame');
  const doff = Buffer.from(good);
  doff[46] = 0xf0;
  t.equal(checkTxFrame(doff, MAC, full), 'TCP data offset 15 does not fit 38 bytes of segment');
  t.equal(checkTxFrame(good, Buffer.from([2, 0, 0, 0, 0, 9]), full), 'source MAC is not the port MAC');
  // buildFrame sums all 26 bytes of UDP; a receiver sums the 20 its length field claims.
  const udp = buildFrame({ ...seg, proto: 'udp', udpLenOverride: 20 });
  t.match(checkTxFrame(udp, MAC, full), /^UDP checksum is wrong \(full/, 'UDP is verified over its own length');
  t.equal(
    checkTxFrame(buildFrame({ ...seg, proto: 'udp', udpLenOverride: 30 }), MAC, full),
    'UDP header does not fit 26 bytes',
  );
  const icmp = buildFrame({ ...seg, proto: 'icmp', icmpType: 3, icmpCode: 3, payload: good.subarray(14, 42) });
  icmp[37]! ^= 1;
  t.match(checkTxFrame(icmp, MAC, full), /^ICMP checksum is wrong/);
});

t.test('the frame checker tells partial from full checksums and keeps a wrong one as wrong', async (t) => {
  const partial = buildFrame({ ...seg, partialCsum: true });
  t.equal(checkTxFrame(partial, MAC, { ...full, partial: true }), null, 'a CHECKSUM_PARTIAL frame passes as partial');
  t.match(checkTxFrame(partial, MAC, full), /^TCP checksum is wrong \(full/, 'but not as a full checksum');
  t.equal(checkTxFrame(partial, MAC, { ...full, partial: null }), null, 'either kind when the origin is unknown');
  const bad = buildFrame(seg);
  bad[51]! ^= 0x04;
  const r = l4Residual(bad, ipv4Shape(bad)!, false);
  t.equal(checkTxFrame(bad, MAC, { ...full, residual: r }), null, 'as wrong as the frame it came from: kept');
  t.match(checkTxFrame(bad, MAC, { ...full, residual: r ^ 0x0100 }), /^TCP checksum is wrong/, 'wrong otherwise');
  t.equal(checkTxFrame(bad, MAC, { ...full, partial: null, recentBad: new Set([r]) }), null);
});

t.test('the rewrite checker lets NAT change only addresses, ports, TTL, checksums and TCP options', async (t) => {
  const input = buildFrame({ ...seg, tcpOptions: Buffer.from([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]) });
  const nat = buildFrame({
    ...seg,
    srcMac: '02:00:00:00:00:01',
    src: '192.168.88.5',
    sport: 80,
    dst: '192.168.88.10',
    dport: 40000,
    ttl: 63,
    tcpOptions: Buffer.from([1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 2]),
  });
  t.equal(checkRewrite(input, nat), null, 'a NATed copy passes');
  const seq = Buffer.from(nat);
  seq[38]! ^= 1;
  t.equal(checkRewrite(input, seq), 'TCP header byte 4 (frame byte 38) changed from 0x0 to 0x1');
  const payload = Buffer.from(nat);
  payload[payload.length - 1]! ^= 0x20;
  t.equal(checkRewrite(input, payload), 'payload (frame byte 83) changed from 0xa to 0x2a');
  t.equal(
    checkRewrite(input, Buffer.concat([nat, Buffer.alloc(2)])),
    'frame of 84 bytes (IHL 5) left as 86 bytes (IHL 5)',
  );
});

interface TableGuts {
  inIndex: ConnIndex;
  freeNext: Int32Array;
  freeHead: number;
}

t.test('the table checker reports a corrupted index, count and free list', async (t) => {
  const fresh = () => {
    const fz = new Fuzzer({ seed: 3 });
    fz.warmUp();
    const tab = fz.lab.engine.conns.table;
    let id = -1;
    for (let i = 0; i < tab.capacity && id < 0; i++) if ((tab.flags[i]! & (CONN_F_LIVE | CONN_F_HASHED)) !== 0) id = i;
    return { fz, tab, id, guts: tab as unknown as TableGuts };
  };
  {
    const { fz, tab } = fresh();
    t.ok(tab.count > 10, `${tab.count} live entries`);
    t.same(checkConnTable(tab), [], 'a consistent table passes');
    fz.close();
  }
  {
    const { fz, tab, id, guts } = fresh();
    guts.inIndex.remove(id);
    t.same(checkConnTable(tab), [
      `live connection ${id} is not found through the IN index (lookup gave -1)`,
      `IN index links ${tab.count - 1} entries but ${tab.count} are flagged hashed`,
    ]);
    fz.close();
  }
  {
    const { fz, tab, id } = fresh();
    tab.cport[id] = tab.cport[id]! ^ 1;
    t.match(checkConnTable(tab), [`live connection ${id} is not found through the IN index (lookup gave -1)`]);
    fz.close();
  }
  {
    const { fz, tab } = fresh();
    tab.count++;
    t.same(checkConnTable(tab), [`count is ${tab.count} but ${tab.count - 1} slots are live`]);
    fz.close();
  }
  {
    const { fz, tab } = fresh();
    const syn = buildFrame({ ...seg, src: '192.168.88.10', dst: '192.168.88.5', sport: 55555, dport: 80, flags: 'S' });
    fz.send({ frame: syn, port: 0, flags: 0, vnet: null });
    const e = tab.embryonic;
    t.ok(e.enabled && e.count > 0, `${e.count} embryonic entries`);
    t.same(checkConnTable(tab), [], 'the list is consistent');
    e.count++;
    t.match(checkConnTable(tab), [/^embryonic list has \d+ entries ending at \d+, count \d+ tail \d+$/]);
    fz.close();
  }
  {
    const { fz, tab, id, guts } = fresh();
    guts.freeNext[id] = guts.freeHead;
    guts.freeHead = id;
    t.match(checkConnTable(tab), [`slot ${id} is both on the free list and live`]);
    fz.close();
  }
});

t.test('an exception in the pipeline is a finding naming the frame of the batch, and the run goes on', async (t) => {
  const fz = new Fuzzer({ seed: 9 });
  fz.warmUp();
  const pipeline = fz.lab.engine.pipeline;
  const processFrame = pipeline.processFrame.bind(pipeline);
  let calls = 0;
  pipeline.processFrame = (buf, off, len, flags, port) => {
    const r = processFrame(buf, off, len, flags, port);
    if (++calls === 2) throw new Error('boom');
    return r;
  };
  const frames = [80, 443, 8080].map((dport) => buildFrame({ ...seg, dst: '192.168.88.5', dport }));
  const first = fz.index;
  fz.sendBatch(frames.map((frame) => ({ frame, port: 0, flags: 0, vnet: null })));
  t.equal(fz.exceptions, 1);
  t.match(fz.checks.log.findings[0], { kind: 'exception', seed: 9, index: first + 1, detail: /^Error: boom/ });
  t.equal(
    fz.checks.log.findings[0]!.input!.frame.toString('hex'),
    frames[1]!.toString('hex'),
    'the second frame threw',
  );
  t.not(fz.lab.engine.pipeline, pipeline, 'the lab was rebuilt');
  fz.run(first + 2000);
  t.equal(fz.exceptions, 1, 'and runs on');
  fz.close();
});
