// The fanout program against a real kernel: both directions of every flow reach one member.
//
//   ns c: eth0 10.7.0.2/24 ---veth--- ns d: eth0 [fanout-sink: N members per interface] eth1
//                                                  ---veth--- ns r: eth0 10.8.0.2/24
//   c sends to the VIP 10.7.0.100 (in frames), also datagrams bigger than the MTU that its kernel
//   fragments; r sends to the client 10.7.0.2 (classic NAT out frames) and to the full-NAT local
//   address 10.8.0.50 (full NAT out frames). Static neighbours
//   point both hosts at d's MACs; d has no addresses and ip_forward=0, so its kernel drops them
//   after the packet sockets saw them.

import t from 'tap';
import { fileURLToPath } from 'node:url';
import { nativeLoadError } from '../../src/io/native-binding.ts';
import { fanoutProgram, fanoutWorker } from '../../src/io/fanout-program.ts';
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
  const s = dgram.createSocket('udp4'); open++;
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
    const expected = FLOWS * PER_FLOW * (3 + FRAGS_PER_DATAGRAM);
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
    return JSON.parse(await report) as SinkReport;
  } finally {
    ns.destroy();
  }
}

t.test('the fanout program assembles within the kernel limits and grows by two instructions per address', async (t) => {
  const base = fanoutProgram({ inAddrs: [], localAddrs: [] }).length / 2;
  const more = fanoutProgram({ inAddrs: [1, 2, 3], localAddrs: [4] }).length / 2;
  t.equal(more - base, 8);
  t.ok(base < 128, `${base} instructions without addresses`);
});

for (const workers of [2, 3]) {
  t.test(
    `with ${workers} members, in and out frames of every flow reach the member that owns it`,
    { skip: skipLab },
    async (t) => {
      const rep = await run(workers);
      t.equal(rep.udp, FLOWS * PER_FLOW * 3, 'every datagram was seen once');
      const client = ipToU32(CLIENT);
      const perWorker = new Array<number>(workers).fill(0);
      const split: string[] = [];
      const apart: string[] = [];
      const unlike: string[] = [];
      for (let i = 0; i < FLOWS; i++) {
        const key = `${client}:${CPORT0 + i}`;
        const win = rep.in[key] ?? [];
        const wout = rep.out[key] ?? [];
        if (win.length !== 1 || wout.length !== 1) split.push(`${key} in ${win.join(',')} out ${wout.join(',')}`);
        else if (win[0] !== wout[0]) apart.push(`${key} in ${win[0]} out ${wout[0]}`);
        const want = fanoutWorker(client, CPORT0 + i, workers);
        if (win[0] !== want) unlike.push(`${key} at ${win.join(',')}, hash says ${want}`);
        perWorker[want]!++;
      }
      t.same(split, [], 'the in frames of each flow reached one member, and its out frames one member');
      t.same(apart, [], 'in and out frames of each flow reached the same member');
      t.same(unlike, [], "the kernel ran the program's hash as fanoutHash computes it");
      t.ok(
        perWorker.every((n) => n > 0),
        `every member owns flows: ${perWorker.join('/')}`,
      );
      const fnatWrong: string[] = [];
      for (let i = 0; i < FLOWS; i++) {
        const lport = LPORT0 + i;
        const got = rep.fnat[String(lport)] ?? [];
        if (got.length !== 1 || got[0] !== lport % workers) fnatWrong.push(`${lport} at ${got.join(',')}`);
      }
      t.same(fnatWrong, [], 'full NAT out frames reached the member owning the local port (lport % members)');

      // Fragments: the client's kernel cut each big datagram in three; a non-first fragment has no
      // UDP header, so the program hashes the client's address alone (port 0) for every fragment,
      // first or not, and all of a datagram's fragments meet on one member.
      t.equal(rep.frags, FLOWS * PER_FLOW * FRAGS_PER_DATAGRAM, 'every fragment was seen once');
      const datagrams = Object.entries(rep.frag);
      t.equal(datagrams.length, FLOWS * PER_FLOW, 'as fragments of FLOWS x PER_FLOW datagrams');
      const want = fanoutWorker(client, 0, workers);
      const fragWrong = datagrams.filter(([, at]) => at.length !== 1 || at[0] !== want);
      t.same(fragWrong, [], `all fragments of each datagram reached one member, the hash of the address (${want})`);
    },
  );
}
