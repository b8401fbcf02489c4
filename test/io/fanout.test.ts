// The fanout program against a real kernel: both directions of every flow reach one member.
//
//   ns c: eth0 10.7.0.2/24 ---veth--- ns d: eth0 [fanout-sink: N members per interface] eth1
//                                                  ---veth--- ns r: eth0 10.8.0.2/24
//   c sends to the VIP 10.7.0.100 (in frames), also datagrams bigger than the MTU that its kernel
//   fragments; r sends to the client 10.7.0.2 (classic NAT out frames) and to the full-NAT local
//   address 10.8.0.50 (full NAT out frames); all of it again over IPv6 (fd07::/64, fd08::/64,
//   the VIP6 fd07::100, the local address fd08::50). Static neighbours
//   point both hosts at d's MACs; d has no addresses and ip_forward=0, so its kernel drops them
//   after the packet sockets saw them.

import t from 'tap';
import { fileURLToPath } from 'node:url';
import { nativeLoadError } from '../../src/io/native-binding.ts';
import { fanoutProgram, fanoutWorker, fanoutWorker6 } from '../../src/io/fanout-program.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { NsSet, netnsUnavailable, nsExec, ip } from '../../lab/netns.ts';
import { waitLine } from '../helpers/wait-line.ts';
import { ipToU32 } from '../helpers/frames.ts';

const sinkScript = fileURLToPath(new URL('./fixtures/fanout-sink.ts', import.meta.url));
const noNative = nativeLoadError();
const skipLab = netnsUnavailable() ?? (noNative === null ? false : noNative);

const VIP = '10.7.0.100';
const CLIENT = '10.7.0.2';
const RS = '10.8.0.2';
const LIP = '10.8.0.50';
const FLOWS = 64;
const PER_FLOW = 2;
const CPORT0 = 30000;
const LPORT0 = 20000;
const VIP6 = 'fd07::100';
const CLIENT6 = 'fd07::2';
const RS6 = 'fd08::2';
const LIP6 = 'fd08::50';

/** UDP payload of the fragmented datagrams: 3 fragments each at the veth's MTU of 1500. */
const BIG = 3000;
const FRAGS_PER_DATAGRAM = 3;

/**
 * Sends PER_FLOW datagrams of `bytes` from each of FLOWS local ports to dst:dport (or to dst:port+i
 * when perPortDst).
 */
function sender(from: string, fromPort: number, dst: string, dport: number, perPortDst: boolean, bytes = 1): string {
  return `
const dgram = require('dgram'); let open = 0;
for (let i = 0; i < ${FLOWS}; i++) {
  const s = dgram.createSocket('${from.includes(':') ? 'udp6' : 'udp4'}'); open++;
  s.bind(${fromPort} + i, '${from}', () => {
    let n = 0;
    const go = () => s.send(Buffer.alloc(${bytes}, 120), ${perPortDst ? `${dport} + i` : dport}, '${dst}', () => (++n < ${PER_FLOW} ? go() : (s.close(), --open || console.log('sent'))));
    go();
  });
}`;
}

interface SinkReport {
  in: Record<string, number[]>;
  out: Record<string, number[]>;
  fnat: Record<string, number[]>;
  frag: Record<string, number[]>;
  udp: number;
  frags: number;
}

async function run(workers: number): Promise<SinkReport> {
  const ns = new NsSet();
  try {
    const c = ns.add('fc');
    const d = ns.add('fd');
    const r = ns.add('fr');
    ns.veth(c, 'eth0', d, 'eth0');
    ns.veth(r, 'eth0', d, 'eth1');
    ip('-n', c, 'addr', 'add', `${CLIENT}/24`, 'dev', 'eth0');
    ip('-n', r, 'addr', 'add', `${RS}/24`, 'dev', 'eth0');
    nsExec(d, 'sysctl', '-qw', 'net.ipv4.ip_forward=0');
    ip('-n', c, 'neigh', 'add', VIP, 'lladdr', ns.mac(d, 'eth0'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, 'neigh', 'add', '10.8.0.1', 'lladdr', ns.mac(d, 'eth1'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, 'neigh', 'add', LIP, 'lladdr', ns.mac(d, 'eth1'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, 'route', 'add', '10.7.0.0/24', 'via', '10.8.0.1', 'dev', 'eth0');
    ip('-n', c, 'addr', 'add', `${CLIENT6}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', r, 'addr', 'add', `${RS6}/64`, 'dev', 'eth0', 'nodad');
    ip('-n', c, '-6', 'neigh', 'add', VIP6, 'lladdr', ns.mac(d, 'eth0'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, '-6', 'neigh', 'add', 'fd08::1', 'lladdr', ns.mac(d, 'eth1'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, '-6', 'neigh', 'add', LIP6, 'lladdr', ns.mac(d, 'eth1'), 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', r, '-6', 'route', 'add', 'fd07::/64', 'via', 'fd08::1', 'dev', 'eth0');
    const expected = 2 * FLOWS * PER_FLOW * (3 + FRAGS_PER_DATAGRAM);
    const sink = ns.spawn(d, 'timeout', [
      '60',
      process.execPath,
      '--import',
      'tsx',
      sinkScript,
      String(workers),
      String(expected),
      VIP,
      LIP,
      VIP6,
      LIP6,
      'eth0',
      'eth1',
    ]);
    const report = waitLine(sink, /^\{/, 60_000);
    report.catch(() => undefined);
    await waitLine(sink, /^ready /, 30_000);
    const send = async (where: string, script: string): Promise<void> => {
      await waitLine(ns.spawn(where, 'timeout', ['20', process.execPath, '-e', script]), /^sent$/, 25_000);
    };
    await send(c, sender(CLIENT, CPORT0, VIP, 80, false));
    await send(r, sender(RS, 8000, CLIENT, CPORT0, true));
    await send(r, sender(RS, 9000, LIP, LPORT0, true));
    await send(c, sender(CLIENT, CPORT0 + FLOWS, VIP, 81, false, BIG));
    await send(c, sender(CLIENT6, CPORT0, VIP6, 80, false));
    await send(r, sender(RS6, 8000, CLIENT6, CPORT0, true));
    await send(r, sender(RS6, 9000, LIP6, LPORT0, true));
    await send(c, sender(CLIENT6, CPORT0 + FLOWS, VIP6, 81, false, BIG));
    return JSON.parse(await report) as SinkReport;
  } finally {
    ns.destroy();
  }
}

t.test('the fanout program assembles within the kernel limits and grows by two instructions per address', async (t) => {
  const base = fanoutProgram({ inAddrs: [], localAddrs: [] }).length / 2;
  const more = fanoutProgram({ inAddrs: [1, 2, 3], localAddrs: [4] }).length / 2;
  t.equal(more - base, 8);
  t.ok(base < 256, `${base} instructions without addresses`);
});

for (const workers of [2, 3]) {
  t.test(
    `with ${workers} members, in and out frames of every flow reach the member that owns it`,
    { skip: skipLab },
    async (t) => {
      const rep = await run(workers);
      t.equal(rep.udp, 2 * FLOWS * PER_FLOW * 3, 'every datagram was seen once');
      t.equal(rep.frags, 2 * FLOWS * PER_FLOW * FRAGS_PER_DATAGRAM, 'every fragment was seen once');
      const client = ipToU32(CLIENT);
      const client6 = parseInet6(CLIENT6)!;
      const families = [
        {
          name: 'IPv4',
          key: (port: number) => `${client}:${port}`,
          want: (port: number) => fanoutWorker(client, port, workers),
          fnatKey: (lport: number) => String(lport),
          frag: (k: string) => !k.includes(':'),
        },
        {
          name: 'IPv6',
          key: (port: number) => `[${CLIENT6}]:${port}`,
          want: (port: number) => fanoutWorker6(client6, 0, port, workers),
          fnatKey: (lport: number) => `6:${lport}`,
          frag: (k: string) => k.includes(':'),
        },
      ];
      for (const fam of families) {
        const perWorker = new Array<number>(workers).fill(0);
        const split: string[] = [];
        const apart: string[] = [];
        const unlike: string[] = [];
        for (let i = 0; i < FLOWS; i++) {
          const key = fam.key(CPORT0 + i);
          const win = rep.in[key] ?? [];
          const wout = rep.out[key] ?? [];
          if (win.length !== 1 || wout.length !== 1) split.push(`${key} in ${win.join(',')} out ${wout.join(',')}`);
          else if (win[0] !== wout[0]) apart.push(`${key} in ${win[0]} out ${wout[0]}`);
          const want = fam.want(CPORT0 + i);
          if (win[0] !== want) unlike.push(`${key} at ${win.join(',')}, hash says ${want}`);
          perWorker[want]!++;
        }
        t.same(split, [], `${fam.name}: the in frames of each flow reached one member, and its out frames one member`);
        t.same(apart, [], `${fam.name}: in and out frames of each flow reached the same member`);
        t.same(unlike, [], `${fam.name}: the kernel ran the program's hash as fanoutHash computes it`);
        t.ok(
          perWorker.every((n) => n > 0),
          `${fam.name}: every member owns flows: ${perWorker.join('/')}`,
        );
        const fnatWrong: string[] = [];
        for (let i = 0; i < FLOWS; i++) {
          const lport = LPORT0 + i;
          const got = rep.fnat[fam.fnatKey(lport)] ?? [];
          if (got.length !== 1 || got[0] !== lport % workers) fnatWrong.push(`${lport} at ${got.join(',')}`);
        }
        t.same(fnatWrong, [], `${fam.name}: full NAT out frames reached the owner of the local port (lport % members)`);

        // Fragments: the client's kernel cut each big datagram in three; a non-first fragment has no
        // UDP header, so the program hashes the client's address alone (port 0) for every fragment,
        // first or not, and all of a datagram's fragments meet on one member.
        const datagrams = Object.entries(rep.frag).filter(([k]) => fam.frag(k));
        t.equal(datagrams.length, FLOWS * PER_FLOW, `${fam.name}: fragments of FLOWS x PER_FLOW datagrams`);
        const want = fam.want(0);
        const fragWrong = datagrams.filter(([, at]) => at.length !== 1 || at[0] !== want);
        t.same(
          fragWrong,
          [],
          `${fam.name}: all fragments of each datagram reached one member, the address's (${want})`,
        );
      }
    },
  );
}
