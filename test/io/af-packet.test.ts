// AfPacketIo and PcapIo against real kernels: a relay namespace between two hosts.
//
//   ns a: eth0 10.9.0.1/24 ---veth--- ns m: eth0  [relay.ts]  eth1 ---veth--- ns b: eth0 10.9.0.2/24
//   static neighbours: a knows 10.9.0.2 at m/eth0's MAC, b knows 10.9.0.1 at m/eth1's MAC;
//   m has no addresses and ip_forward=0, so only the relay moves frames across.

import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AfPacketIo } from '../../src/io/af-packet.ts';
import { nativeLoadError } from '../../src/io/native-binding.ts';
import { loadCap } from '../../src/io/pcap-io.ts';
import { NsSet, netnsUnavailable, nsExec, ip } from '../../lab/netns.ts';
import { waitLine } from '../helpers/wait-line.ts';

const relayScript = fileURLToPath(new URL('./fixtures/relay.ts', import.meta.url));
const openLoScript = fileURLToPath(new URL('./fixtures/open-lo.ts', import.meta.url));
const framesScript = fileURLToPath(new URL('./fixtures/frames-io.ts', import.meta.url));
const noNative = nativeLoadError();
const noNetns = netnsUnavailable();
const skipLab = noNetns ?? (noNative === null ? false : noNative);
let noCap: string | false = false;
try {
  loadCap();
} catch (e) {
  noCap = (e as Error).message;
}

const CHUNK = 1 << 20;
function pattern(): Buffer {
  const b = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) b[i] = (i * 7 + (i >>> 11)) & 0xff;
  return b;
}

const SERVER = `
const h = require('crypto').createHash('sha256'); let n = 0;
const srv = require('net').createServer((s) => {
  s.on('data', (d) => { n += d.length; h.update(d); });
  s.on('end', () => { console.log(JSON.stringify({ bytes: n, sha: h.digest('hex') })); s.end(); srv.close(); });
});
srv.listen(5001, '10.9.0.2', () => console.log('listening'));`;

const CLIENT = `
const CHUNK = 1 << 20, b = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK; i++) b[i] = (i * 7 + (i >>> 11)) & 0xff;
const total = Number(process.argv[1]); let sent = 0;
const s = require('net').connect(5001, '10.9.0.2', () => {
  const go = () => { while (sent < total) { sent++; if (!s.write(b)) return s.once('drain', go); } s.end(); };
  go();
});
s.on('close', () => console.log('sent'));`;

interface RelayCounters {
  frames: number;
  vnet: number;
  gso: number;
  partial: number;
  tcp: number;
  tcpPartial: number;
  icmp: number;
  icmpPartial: number;
  maxLen: number;
  maxBatch: number;
  bad: number;
  txFull: number;
  stats:
    { rxBig?: number; rxTruncated?: number; txErrors?: number; kernelDrops?: number }[] | { txErrors: number } | null;
  loop: { wakeups: number; ticks: number; batches: number; spins: number; spinFrames: number } | null;
}

interface LineOpts {
  backend: 'af2' | 'af2spin' | 'af2nospin' | 'af2nojumbo' | 'af3' | 'pcap';
  /** ethtool -K settings per namespace role, e.g. { m: ['tx', 'off'] }. */
  ethtool?: Partial<Record<'a' | 'b' | 'm', string[]>>;
  mb: number;
}

/** Builds the line, runs ping and a TCP transfer across the relay, returns what everyone saw. */
async function runLine(
  opts: LineOpts,
): Promise<{ ping: string; server: { bytes: number; sha: string }; relay: RelayCounters }> {
  const ns = new NsSet();
  try {
    const a = ns.add('a');
    const m = ns.add('m');
    const b = ns.add('b');
    ns.veth(a, 'eth0', m, 'eth0');
    ns.veth(b, 'eth0', m, 'eth1');
    ip('-n', a, 'addr', 'add', '10.9.0.1/24', 'dev', 'eth0');
    ip('-n', b, 'addr', 'add', '10.9.0.2/24', 'dev', 'eth0');
    nsExec(m, 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
    ip('-n', a, 'neigh', 'add', '10.9.0.2', 'lladdr', ns.mac(m, 'eth0'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', b, 'neigh', 'add', '10.9.0.1', 'lladdr', ns.mac(m, 'eth1'), 'dev', 'eth0', 'nud', 'permanent');
    const dev = { a: ['eth0'], b: ['eth0'], m: ['eth0', 'eth1'] };
    const roles = { a, b, m };
    for (const [role, args] of Object.entries(opts.ethtool ?? {})) {
      for (const d of dev[role as 'a' | 'b' | 'm']) nsExec(roles[role as 'a' | 'b' | 'm'], 'ethtool', '-K', d, ...args);
    }
    const relay = ns.spawn(m, process.execPath, [
      '--import',
      'tsx',
      relayScript,
      opts.backend,
      'eth0',
      'eth1',
      ns.mac(a, 'eth0'),
      ns.mac(b, 'eth0'),
    ]);
    const relayOut = waitLine(relay, /^\{/, 30_000);
    relayOut.catch(() => undefined);
    await waitLine(relay, /^ready$/, 15_000);
    const ping = nsExec(a, 'ping', '-c', '5', '-i', '0.2', '-W', '2', '10.9.0.2');
    const server = ns.spawn(b, 'timeout', ['20', process.execPath, '-e', SERVER]);
    const serverOut = waitLine(server, /^\{/, 25_000);
    serverOut.catch(() => undefined);
    await waitLine(server, /^listening$/, 10_000);
    const client = ns.spawn(a, 'timeout', ['20', process.execPath, '-e', CLIENT, String(opts.mb)]);
    await waitLine(client, /^sent$/, 25_000);
    const srv = JSON.parse(await serverOut) as { bytes: number; sha: string };
    process.kill(relay.pid!, 'SIGTERM');
    const counters = JSON.parse(await relayOut) as RelayCounters;
    return { ping, server: srv, relay: counters };
  } finally {
    ns.destroy();
  }
}

function expectedSha(mb: number): string {
  const h = createHash('sha256');
  const b = pattern();
  for (let i = 0; i < mb; i++) h.update(b);
  return h.digest('hex');
}

t.test('AfPacketIo.open names an interface that does not exist', { skip: noNative ?? false }, async (t) => {
  t.throws(() => AfPacketIo.open(['tsvs-nope0']), {
    code: 'NO_SUCH_INTERFACE',
    message: 'Interface tsvs-nope0 does not exist (in this network namespace)',
  });
});

const setpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
t.test(
  'without CAP_NET_RAW, AfPacketIo.open names the capability and how to grant it',
  {
    skip:
      noNative ??
      (process.getuid?.() !== 0 || !setpriv ? 'needs root and setpriv to drop to an unprivileged user' : false),
  },
  async (t) => {
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
        openLoScript,
      ],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000 },
    );
    t.same(JSON.parse(r.stdout.trim()), {
      code: 'NEED_CAP_NET_RAW',
      message:
        'Cannot open AF_PACKET on lo: socket(AF_PACKET, SOCK_RAW) on lo: Operation not permitted; packet I/O needs CAP_NET_RAW ' +
        '(and CAP_NET_ADMIN for the large socket buffers): run as root, or grant them with `setcap cap_net_raw,cap_net_admin+ep $(which node)`, ' +
        'or with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN in the systemd unit',
    });
  },
);

function checkAfRelay(t: Test, r: Awaited<ReturnType<typeof runLine>>, mb: number, gsoExpected: boolean): void {
  t.match(r.ping, /5 packets transmitted, 5 received/);
  t.notMatch(r.ping, /DUP!/, 'the relay never sees its own frames');
  t.same(r.server, { bytes: mb * CHUNK, sha: expectedSha(mb) }, 'every byte crossed, in order');
  const c = r.relay;
  t.equal(c.vnet, c.frames, 'every frame came with a virtio_net_hdr');
  t.equal(c.bad, 0, 'RXF_GSO and RXF_CSUM_PARTIAL agree with each virtio_net_hdr');
  t.equal(c.icmp, 10, '5 echo requests and 5 replies');
  t.equal(c.icmpPartial, 0, 'ICMP is checksummed in software: never CSUM_PARTIAL');
  t.ok(c.tcp > 0 && c.tcpPartial === c.tcp, 'locally generated TCP arrives with RXF_CSUM_PARTIAL');
  if (gsoExpected) t.ok(c.gso > 0 && c.maxLen > 1514, 'GSO superpackets bigger than the MTU were relayed');
  t.equal(c.txFull, 0);
  const stats = c.stats as { rxTruncated: number; txErrors: number; rxBig: number; rxJumbo: number; txGso: number }[];
  t.same(
    stats.map((s) => [s.rxTruncated, s.txErrors]),
    [
      [0, 0],
      [0, 0],
    ],
    'nothing truncated, nothing refused',
  );
  if (gsoExpected) t.ok((stats[1]?.txGso ?? 0) > 0, 'superpackets toward b left through the GSO socket');
  t.comment(
    `relay saw ${c.frames} frames: ${c.gso} GSO (max ${c.maxLen} B), ${c.partial} CSUM_PARTIAL, ${c.tcp} TCP, largest batch ${c.maxBatch}; big-slot reads ${stats.map((s) => s.rxBig).join('/')}, jumbo-ring frames ${stats.map((s) => s.rxJumbo).join('/')}`,
  );
}

// Where superpackets (frames longer than a 2 KiB ring slot) are read: whole in the jumbo ring (the
// default), or with jumboSlots 0 truncated in the ring and then whole from the socket queue.
const SUPERPACKET_PATHS = [
  { backend: 'af2', used: 'rxJumbo', unused: 'rxBig', how: 'arrive whole in the jumbo ring' },
  { backend: 'af2nojumbo', used: 'rxBig', unused: 'rxJumbo', how: 'are read whole from the socket queue' },
] as const;

for (const p of SUPERPACKET_PATHS) {
  t.test(
    `an AfPacketIo relay (TPACKET_V2, ${p.backend}) carries ping and TCP with default offloads; superpackets ${p.how}`,
    { skip: skipLab },
    async (t) => {
      const r = await runLine({ backend: p.backend, mb: 8 });
      checkAfRelay(t, r, 8, true);
      const stats = r.relay.stats as Record<'rxBig' | 'rxJumbo', number>[];
      t.ok((stats[0]?.[p.used] ?? 0) > 0, `superpackets bigger than a ring slot ${p.how} (${p.used})`);
      t.same(
        stats.map((s) => s[p.unused]),
        [0, 0],
        `no frame took the other path (${p.unused})`,
      );
    },
  );
}

t.test(
  'busy polling: every wakeup that finds frames polls on; with spinUs 0 none does, and the traffic is the same',
  { skip: skipLab },
  async (t) => {
    const on = await runLine({ backend: 'af2spin', mb: 8 });
    checkAfRelay(t, on, 8, true);
    const l = on.relay.loop!;
    t.ok(
      l.spins > 0 && l.spins <= l.wakeups,
      `busy-poll sessions (${l.spins}) follow wakeups (${l.wakeups}), one at most each`,
    );
    t.ok(l.batches >= l.wakeups + l.ticks, 'each wakeup or tick ran at least one batch');
    t.comment(`${l.spinFrames} of ${on.relay.frames} frames were found by busy polling, without a wakeup`);
    const off = await runLine({ backend: 'af2nospin', mb: 8 });
    checkAfRelay(t, off, 8, true);
    t.same([off.relay.loop!.spins, off.relay.loop!.spinFrames], [0, 0], 'spinUs 0: no busy polling');
  },
);

t.test('an AfPacketIo relay (TPACKET_V3) carries the same traffic', { skip: skipLab }, async (t) => {
  checkAfRelay(t, await runLine({ backend: 'af3', mb: 8 }), 8, true);
});

t.test(
  'with checksum offload off on the relay egress, the kernel completes partial checksums and segments superpackets the receiver verifies',
  { skip: skipLab },
  async (t) => {
    checkAfRelay(t, await runLine({ backend: 'af2', mb: 8, ethtool: { m: ['tx', 'off'] } }), 8, true);
  },
);

t.test(
  'a PcapIo relay carries ping and TCP with offloads off and never recaptures its own frames',
  { skip: noNetns ?? noCap },
  async (t) => {
    const off = ['tso', 'off', 'gso', 'off', 'tx', 'off'];
    const r = await runLine({ backend: 'pcap', mb: 2, ethtool: { a: off, b: off } });
    t.match(r.ping, /5 packets transmitted, 5 received/);
    t.notMatch(r.ping, /DUP!/);
    t.same(r.server, { bytes: 2 * CHUNK, sha: expectedSha(2) });
    t.equal(r.relay.icmp, 10);
    t.equal(r.relay.maxLen <= 1514, true, 'no superpackets with offloads off');
    // A frame captured as SIGTERM arrives is counted in rx but never reaches the relay's callback;
    // recapturing its own frames would instead double rx.
    const s = r.relay.stats as { rx: number; tx: number; txErrors: number };
    t.same({ tx: s.tx, txErrors: s.txErrors }, { tx: r.relay.frames, txErrors: 0 }, 'every relayed frame sent');
    t.ok(
      s.rx >= r.relay.frames && s.rx <= r.relay.frames + 16,
      `rx ${s.rx} for ${r.relay.frames} relayed frames: none of its own frames recaptured`,
    );
  },
);

/** Ones' complement sum of 16-bit words (not complemented, folded). */
function sum16(b: Buffer, from: number, to: number, start = 0): number {
  let s = start;
  for (let i = from; i < to; i += 2) s += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Ethernet/IPv4/UDP 10.9.0.1:5000 -> 10.9.0.2:7777; the UDP checksum is complete, or only the seed. */
function udp(dst: string, src: string, payload: Buffer, seedOnly: boolean): Buffer {
  const f = Buffer.alloc(42 + payload.length);
  Buffer.from(dst.replaceAll(':', '') + src.replaceAll(':', '') + '0800', 'hex').copy(f, 0);
  Buffer.from('450000000001000040110000', 'hex').copy(f, 14);
  f.writeUInt16BE(28 + payload.length, 16);
  Buffer.from([10, 9, 0, 1, 10, 9, 0, 2]).copy(f, 26);
  f.writeUInt16BE(~sum16(f, 14, 34) & 0xffff, 24);
  f.writeUInt16BE(5000, 34);
  f.writeUInt16BE(7777, 36);
  f.writeUInt16BE(8 + payload.length, 38);
  payload.copy(f, 42);
  const pseudo = sum16(f, 26, 34, 17 + 8 + payload.length);
  f.writeUInt16BE(seedOnly ? pseudo : ~sum16(f, 34, f.length, pseudo) & 0xffff || 0xffff, 40);
  return f;
}

t.test(
  'frames queued from caller memory go out byte-exact, and a NEEDS_CSUM virtio_net_hdr reaches the kernel',
  { skip: skipLab },
  async (t) => {
    const ns = new NsSet();
    try {
      const x = ns.add('x');
      const y = ns.add('y');
      ns.veth(x, 'eth0', y, 'eth0');
      const [mx, my] = [ns.mac(x, 'eth0'), ns.mac(y, 'eth0')];
      const payload = (n: number, len: number): Buffer =>
        Buffer.from(Array.from({ length: len }, (_, i) => (n + i * 13) & 0xff));
      const plain = udp(my, mx, payload(1, 18), false);
      const partial = udp(my, mx, payload(2, 301), true);
      const full = udp(my, mx, payload(2, 301), false);
      const big = udp(my, mx, payload(3, 1400), false);
      const vnet = '01000000000022000600'; // NEEDS_CSUM, no GSO, csum_start 34, csum_offset 6 (little-endian)
      const send = (): string =>
        nsExec(
          x,
          process.execPath,
          '--import',
          'tsx',
          framesScript,
          'send',
          'eth0',
          `0:${plain.toString('hex')}`,
          `3:${partial.toString('hex')}:${vnet}`,
          `0:${big.toString('hex')}`,
        );
      const round = async (): Promise<{ hex: string; flags: number }[]> => {
        const r = ns.spawn(y, process.execPath, ['--import', 'tsx', framesScript, 'recv', 'eth0', '3']);
        const lines: string[] = [];
        r.stdout?.on('data', (d: Buffer) =>
          lines.push(
            ...d
              .toString()
              .split('\n')
              .filter((l) => l.startsWith('{')),
          ),
        );
        const done = new Promise<void>((res) => r.on('exit', () => res()));
        await waitLine(r, /^ready$/, 15_000);
        t.match(send(), /^sent 3 txFrames 3 txErrors 0$/m);
        await Promise.race([done, new Promise((res) => setTimeout(res, 10_000))]);
        return lines.map((l) => JSON.parse(l) as { hex: string; flags: number });
      };
      // Offloads on: the frame crosses the veth still partial, with its seed and header intact.
      const a = await round();
      t.same(
        a.map((f) => f.hex),
        [plain, partial, big].map((f) => f.toString('hex')),
      );
      t.same(
        a.map((f) => (f.flags & 0x01) !== 0),
        [false, true, false],
        'only the NEEDS_CSUM frame arrives CSUM_PARTIAL',
      );
      // Checksum offload off on the sender: the kernel completes the checksum from our seed.
      nsExec(x, 'ethtool', '-K', 'eth0', 'tx', 'off');
      const b = await round();
      t.same(
        b.map((f) => f.hex),
        [plain, full, big].map((f) => f.toString('hex')),
        'the kernel finished the UDP checksum',
      );
      t.same(
        b.map((f) => (f.flags & 0x01) !== 0),
        [false, false, false],
      );
    } finally {
      ns.destroy();
    }
  },
);
