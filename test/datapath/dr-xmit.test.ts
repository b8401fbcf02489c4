// LVS-DR on the in-memory I/O: the director keeps the client's IP packet and only re-addresses
// the Ethernet frame to the real server (ip_vs_dr_xmit in ip_vs_xmit.c; __ip_vs_get_out_rt()
// decrements the TTL for a non-local route, ip_send_check() redoes the header checksum), and
// resolves the real server with an ARP request sent from the DIP, never from the VIP.
// Expected frames are built independently: IP/TCP with test/helpers/frames.ts, ARP by hand.
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import type { EngineConfig } from '../../src/datapath/engine-config.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { AF_INET, FWD_ROUTE } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { buildFrame, hex, ipToU32, type FrameSpec } from '../helpers/frames.ts';
import { verifyIpChecksum, verifyL4Checksum } from '../helpers/frame-checks.ts';
import { parseMac } from '../../src/packet/ethernet.ts';

const LVS = '02:00:00:00:99:05'; // the director's one port on the segment
const RTR = '02:00:00:00:99:01'; // the router, 192.168.99.1
const W1MAC = '02:00:00:00:99:64';
const W2MAC = '02:00:00:00:99:c8';
const VIP = '192.168.88.5';
const DIP = '192.168.99.5';
const RIP1 = '192.168.99.100';
const RIP2 = '192.168.99.200';
const CIP = '192.168.88.10';

/** One port on the segment: tsvs owns the VIP there; `subnet DIP/24` names the kernel's DIP. */
function drLab() {
  const io = new MemoryIo([{ name: 'eth0', mac: LVS }]);
  const cfg: EngineConfig = {
    ports: [{ name: 'eth0', owned: [ipToU32(VIP)], subnets: [[ipToU32(DIP), 24]], gateway: ipToU32('192.168.99.1') }],
    fullNatAddrs: [],
    connCapacity: 1024,
  };
  const services = new ServiceTable({ findScheduler });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: ipToU32(VIP), port: 80, fwmark: 0 };
  services.addService({ ...key, schedName: 'wrr', flags: 0, timeoutSec: 0, netmask: 0xffffffff, peName: '' });
  for (const [rip, weight] of [
    [RIP1, 1],
    [RIP2, 2],
  ] as const) {
    services.addDest(key, {
      af: AF_INET,
      addr: ipToU32(rip),
      port: 80,
      fwd: FWD_ROUTE,
      weight,
      uThreshold: 0,
      lThreshold: 0,
    });
  }
  const nowMs = 1_000_000;
  const engine = new Engine(io, cfg, services, { now: () => nowMs });
  engine.start();
  io.sent.length = 0; // the gratuitous ARP for the VIP
  const learn = (ip: string, mac: string): void => engine.xmit.neigh.learn(ipToU32(ip), 0, parseMac(mac), 0, nowMs);
  return { io, engine, learn };
}

const syn: FrameSpec = {
  dstMac: LVS,
  srcMac: RTR,
  src: CIP,
  dst: VIP,
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
  seq: 1000,
  ttl: 63,
  payload: 'dr',
};

/** An ARP request as arp_solicit() writes it, from fields, not from the code under test. */
function arpRequest(senderMac: string, senderIp: string, targetIp: string): string {
  const mac = (m: string) => m.replace(/:/g, '');
  const ip4 = (a: string) => Buffer.from(a.split('.').map(Number)).toString('hex');
  return (
    `ffffffffffff${mac(senderMac)}0806` +
    `0001080006040001${mac(senderMac)}${ip4(senderIp)}000000000000${ip4(targetIp)}`
  );
}

t.test('DR keeps the IP packet: only the MACs change (and the TTL, as the kernel forwards)', async (t) => {
  const { io, engine, learn } = drLab();
  learn(RIP1, W1MAC);
  learn(RIP2, W2MAC);
  io.inject(0, buildFrame(syn));
  io.inject(0, buildFrame({ ...syn, sport: 40001 }));
  io.inject(0, buildFrame({ ...syn, sport: 40002 }));
  io.deliver();
  t.equal(io.sent.length, 3);
  // wrr over weights 1 and 2 (ip_vs_wrr.c): web2, web1, web2.
  const macs = [W2MAC, W1MAC, W2MAC];
  io.sent.forEach((s, i) => {
    t.equal(s.port, 0, 'leaves on the port it came in: one segment');
    const want = buildFrame({ ...syn, sport: 40000 + i, dstMac: macs[i]!, srcMac: LVS, ttl: 62 });
    t.equal(hex(s.frame), hex(want), `frame ${i}: destination VIP:80 and the client source untouched`);
    t.ok(verifyIpChecksum(s.frame) && verifyL4Checksum(s.frame));
  });
  t.equal(engine.pipeline.forwardedOut, 0, 'nothing comes back through the director');
});

t.test('a packet with TTL 1 is not forwarded to the real server (decrement_ttl)', async (t) => {
  const { io, learn } = drLab();
  learn(RIP1, W1MAC);
  learn(RIP2, W2MAC);
  io.inject(0, buildFrame({ ...syn, ttl: 1 }));
  io.deliver();
  t.equal(io.sent.length, 0);
});

t.test('the real server is resolved by an ARP request from the DIP, not the VIP it holds on lo', async (t) => {
  const { io } = drLab();
  io.inject(0, buildFrame(syn));
  io.deliver();
  t.equal(io.sent.length, 1, 'the SYN waits for ARP; the request goes out');
  t.equal(hex(io.sent[0]!.frame), arpRequest(LVS, DIP, RIP2));
  // The real server's reply releases the held SYN, re-addressed to it.
  const reply = Buffer.from(
    `${LVS.replace(/:/g, '')}${W2MAC.replace(/:/g, '')}0806` +
      `0001080006040002${W2MAC.replace(/:/g, '')}c0a863c8${LVS.replace(/:/g, '')}c0a86305`,
    'hex',
  );
  io.inject(0, reply);
  io.deliver();
  t.equal(io.sent.length, 2);
  t.equal(hex(io.sent[1]!.frame), hex(buildFrame({ ...syn, dstMac: W2MAC, srcMac: LVS, ttl: 62 })));
});
