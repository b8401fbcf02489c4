import t from 'tap';
import dgram from 'node:dgram';
import { DnsCheck, DNS_TYPES, dnsQuery } from '../../src/health/dns-check.ts';

const LO = 0x7f000001;
const sig = (): AbortSignal => new AbortController().signal;

type Answer = (query: Buffer) => Buffer[];

/** A UDP DNS responder on loopback: sends what `answer` makes of each query; records the queries. */
async function dnsServer(
  t: { teardown(fn: () => unknown): void },
  answer: Answer,
): Promise<{ port: number; queries: Buffer[] }> {
  const queries: Buffer[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, rinfo) => {
    queries.push(q);
    for (const r of answer(q)) sock.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  return { port: sock.address().port, queries };
}

/** A response header for query q: its id (or another), QR set, the given RCODE, the question echoed. */
function response(q: Buffer, rcode: number, id = q.readUInt16BE(0), qr = true): Buffer {
  const r = Buffer.from(q);
  r.writeUInt16BE(id, 0);
  r.writeUInt16BE((qr ? 0x8000 : 0) | 0x0100 | 0x0080 | rcode, 2);
  return r;
}

t.test('the query is keepalived dns_make_query: RD, one question, labels, type, class IN', async (t) => {
  const q = dnsQuery(0x1234, 'www.example.com', DNS_TYPES.A ?? 1);
  t.equal(
    q.toString('hex'),
    '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '03777777076578616d706c6503636f6d00' + '0001' + '0001',
  );
  t.equal(dnsQuery(1, '', 6).subarray(12).toString('hex'), '00' + '0006' + '0001', 'the default name is the root');
});

t.test('NOERROR with the same id passes; other ids and queries are skipped', async (t) => {
  const { port, queries } = await dnsServer(t, (q) => [
    response(q, 0, q.readUInt16BE(0) ^ 1), // another id: ignored
    response(q, 0, q.readUInt16BE(0), false), // not a response: ignored
    Buffer.from([1, 2, 3]), // too short: ignored
    response(q, 0),
  ]);
  const check = new DnsCheck({ connectTimeoutMs: 2000, name: 'example.com', type: DNS_TYPES.SOA ?? 6 });
  t.same(await check.check({ addr: LO, port }, sig()), { ok: true, reason: '' });
  t.equal(queries[0]?.subarray(12).toString('hex'), '076578616d706c6503636f6d00' + '0006' + '0001');
});

t.test('an error RCODE, silence and an unreachable port fail', async (t) => {
  const check = new DnsCheck({ connectTimeoutMs: 300, name: 'example.com', type: 1 });
  const nx = await dnsServer(t, (q) => [response(q, 3)]);
  t.same(await check.check({ addr: LO, port: nx.port }, sig()), {
    ok: false,
    reason: 'read error occurred. (rcode = 3)',
  });
  const silent = await dnsServer(t, () => []);
  t.same(await check.check({ addr: LO, port: silent.port }, sig()), { ok: false, reason: 'read timeout from socket' });
  const gone = dgram.createSocket('udp4');
  await new Promise<void>((r) => gone.bind(0, '127.0.0.1', () => r()));
  const deadPort = gone.address().port;
  await new Promise<void>((r) => gone.close(() => r()));
  const r = await check.check({ addr: LO, port: deadPort }, sig());
  t.equal(r.ok, false);
  t.match(r.reason, /^failed to read socket \(/);
});
