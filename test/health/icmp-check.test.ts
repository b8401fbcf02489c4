import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { IcmpCheck, assertIcmpAvailable, classifyIcmp, buildEcho } from '../../src/health/icmp-check.ts';
import { isTsvsError } from '../../src/lib/errors.ts';

/** Internet checksum for building fixtures without the native module. */
const sum = {
  createChecksum: (b: Buffer) => {
    let s = 0;
    for (let i = 0; i < b.length; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    return ~s & 0xffff;
  },
  writeChecksum: (b: Buffer, off: number, v: number) => b.writeUInt16BE(v, off),
};

t.test('an echo request has type 8, id, seq, 128 bytes of payload and a valid checksum', async (t) => {
  const e = buildEcho(sum, 0x1234, 7);
  t.equal(e.length, 136);
  t.same([...e.subarray(0, 2)], [8, 0]);
  t.same([...e.subarray(4, 8)], [0x12, 0x34, 0, 7]);
  t.same([...e.subarray(8, 12)], [8, 9, 10, 11], 'payload bytes follow their offset');
  t.equal(sum.createChecksum(e), 0, 'checksum over the whole message verifies to 0');
});

t.test('replies are matched by id and seq, unreachables by the echo they quote', async (t) => {
  // IPv4 header (20 bytes) + echo reply id 0x1234 seq 7 (captured on lo).
  const reply = Buffer.from('45000024b05400004001cc827f0000017f0000010000edc412340007', 'hex');
  t.equal(classifyIcmp(reply, 0x1234, 7), 'reply');
  t.equal(classifyIcmp(reply, 0x1234, 8), undefined);
  const request = Buffer.from('45000024b053400040018c837f0000017f0000010800e5c412340007', 'hex');
  t.equal(classifyIcmp(request, 0x1234, 7), undefined, 'our own echo request seen on lo is ignored');
  // Destination unreachable (type 3) quoting an IPv4 header + our echo's first 8 bytes.
  const unreach = Buffer.concat([
    Buffer.from('4500003800004000400100000a0000010a000001', 'hex'),
    Buffer.from('0301000000000000', 'hex'),
    Buffer.from('450000240000400040010000' + '0a0000010a000002', 'hex'),
    Buffer.from('0800000012340007', 'hex'),
  ]);
  t.equal(classifyIcmp(unreach, 0x1234, 7), 'unreachable');
  t.equal(classifyIcmp(Buffer.from([0x45, 0]), 1, 1), undefined, 'short packets are ignored');
});

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

t.test(
  'PING_CHECK against 127.0.0.1 (root)',
  { skip: isRoot ? false : 'PING_CHECK needs root (CAP_NET_RAW) for a raw ICMP socket' },
  async (t) => {
    assertIcmpAvailable();
    const chk = new IcmpCheck({ connectTimeoutMs: 1000 });
    t.same(await chk.check({ addr: 0x7f000001, port: 0 }, new AbortController().signal), { ok: true, reason: '' });
    const results = await Promise.all(
      [1, 2, 3].map(() => chk.check({ addr: 0x7f000001, port: 0 }, new AbortController().signal)),
    );
    t.same(
      results.map((r) => r.ok),
      [true, true, true],
      'concurrent pings each get their own reply',
    );
  },
);

/** What PING_CHECK reports without CAP_NET_RAW: in this process, or as nobody when we are root. */
async function unprivilegedPing(): Promise<{ availableCode: string; ok: boolean; reason: string }> {
  if (!isRoot) {
    let availableCode = '';
    try {
      assertIcmpAvailable();
    } catch (e) {
      availableCode = isTsvsError(e) ? e.code : String(e);
    }
    const r = await new IcmpCheck({ connectTimeoutMs: 200 }).check(
      { addr: 0x7f000001, port: 0 },
      new AbortController().signal,
    );
    return { availableCode, ok: r.ok, reason: r.reason };
  }
  const script = fileURLToPath(new URL('./fixtures/icmp-unprivileged.ts', import.meta.url));
  const r = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '--inh-caps=-all',
      process.execPath,
      '--import',
      'tsx',
      script,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`icmp-unprivileged failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { availableCode: string; ok: boolean; reason: string };
}

const setpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
t.test(
  'without CAP_NET_RAW, PING_CHECK fails with a clear reason',
  { skip: isRoot && !setpriv ? 'running as root without setpriv to drop to an unprivileged user' : false },
  async (t) => {
    const r = await unprivilegedPing();
    t.equal(r.availableCode, 'ICMP_UNAVAILABLE');
    t.equal(r.ok, false);
    t.match(r.reason, /^PING_CHECK needs /);
  },
);
