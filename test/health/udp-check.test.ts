import t from 'tap';
import dgram from 'node:dgram';
import { UdpCheck, type UdpCheckOpts } from '../../src/health/udp-check.ts';
import { readHexStr, replyMatches } from '../../src/health/hex-str.ts';

const LO = 0x7f000001;
const sig = (): AbortSignal => new AbortController().signal;

/** A UDP server on 127.0.0.1 answering each datagram with answer(msg) (no answer when null). */
async function udpServer(
  answer: (m: Buffer) => Buffer | null,
): Promise<{ port: number; got: Buffer[]; close: () => Promise<void> }> {
  const got: Buffer[] = [];
  const s = dgram.createSocket('udp4');
  s.on('message', (m, rinfo) => {
    got.push(m);
    const a = answer(m);
    if (a !== null) s.send(a, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, got, close: () => new Promise((r) => s.close(() => r())) };
}

function hex(text: string) {
  const h = readHexStr(text, true);
  if (h === undefined) throw new Error(`bad hex ${text}`);
  return h;
}

function opts(extra: Partial<UdpCheckOpts> = {}): UdpCheckOpts {
  return { connectTimeoutMs: 300, requireReply: false, minReplyLength: 0, maxReplyLength: 255, ...extra };
}

t.test('read_hex_str groups pairs of digits and gives an odd last digit its own byte', async (t) => {
  const h = readHexStr('Ab12f 3 456 546443123', false);
  t.same([...(h?.data ?? [])], [0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03]);
  t.equal(h?.mask, undefined);
  t.equal(readHexStr('zz', false), undefined);
  t.equal(readHexStr('1x', false), undefined, 'X is only allowed in a reply pattern');
  const m = readHexStr('1x 0203', true);
  t.same([...(m?.data ?? [])], [0x10, 0x02, 0x03]);
  t.same([...(m?.mask ?? [])], [0x0f, 0, 0]);
  t.equal(
    replyMatches(Uint8Array.from([0x1e, 2, 3, 4]), m, 0, 255),
    true,
    'wildcard nibble and extra bytes are ignored',
  );
  t.equal(replyMatches(Uint8Array.from([0x2e, 2]), m, 0, 255), false);
  t.equal(replyMatches(Uint8Array.from([0x10]), m, 2, 255), false, 'shorter than min_reply_length');
});

t.test('UDP_CHECK with require_reply passes against an echo server and sends the payload', async (t) => {
  const echo = await udpServer((m) => m);
  const payload = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);
  const r = await new UdpCheck(opts({ payload, requireReply: true, reply: hex('dead') })).check(
    { addr: LO, port: echo.port },
    sig(),
  );
  t.same(r, { ok: true, reason: '' });
  t.same([...(echo.got[0] ?? [])], [0xde, 0xad, 0xbe, 0xef]);
  await echo.close();
});

t.test('a reply that does not match the pattern fails', async (t) => {
  const echo = await udpServer(() => Buffer.from([1, 2, 3]));
  const r = await new UdpCheck(opts({ requireReply: true, reply: hex('0102 04') })).check(
    { addr: LO, port: echo.port },
    sig(),
  );
  t.same(r, { ok: false, reason: 'reply data mismatch' });
  await echo.close();
});

t.test('silence fails only when a reply is required', async (t) => {
  const mute = await udpServer(() => null);
  t.same(await new UdpCheck(opts()).check({ addr: LO, port: mute.port }, sig()), { ok: true, reason: '' });
  t.same(await new UdpCheck(opts({ requireReply: true })).check({ addr: LO, port: mute.port }, sig()), {
    ok: false,
    reason: 'no reply',
  });
  t.equal(mute.got[0]?.length, 32, 'without a payload, 32 random bytes are sent');
  await mute.close();
});

t.test('a closed port fails on the ICMP port unreachable, not on the timeout', async (t) => {
  const gone = await udpServer(() => null);
  const port = gone.port;
  await gone.close();
  // Without require_reply a timeout would pass: only the ICMP error can make this fail.
  const r = await new UdpCheck(opts({ connectTimeoutMs: 5000 })).check({ addr: LO, port }, sig());
  t.same(r, { ok: false, reason: 'port unreachable' });
});
