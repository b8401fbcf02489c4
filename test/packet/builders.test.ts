import t from 'tap';
import { DROP_NONE } from '../../src/lib/drops.ts';
import { ARP_MAX_FRAME, buildArpReply, buildArpRequest, buildGratuitousArp } from '../../src/packet/build-arp.ts';
import { ICMP_ERROR_MAX_FRAME, buildIcmpTimeExceeded, icmpErrorAllowed } from '../../src/packet/build-icmp.ts';
import { ParsedFrame, parseFrame } from '../../src/packet/frame.ts';
import { buildFrame, hex, ipToU32, macToBytes } from '../helpers/frames.ts';
import { verifyIpChecksum, verifyL4Checksum } from '../helpers/frame-checks.ts';

const MY = macToBytes('02:00:00:00:00:02');
const VIP = ipToU32('192.168.88.5');

t.test('buildArpRequest writes a broadcast who-has with a zero target MAC', async (t) => {
  const out = Buffer.alloc(ARP_MAX_FRAME + 4, 0xee);
  const n = buildArpRequest(out, 2, MY, 0, ipToU32('192.168.99.1'), ipToU32('192.168.99.100'), -1);
  t.equal(n, 42);
  t.equal(
    hex(out.subarray(2, 2 + n)),
    'ffffffffffff' +
      '020000000002' +
      '0806' +
      '0001' +
      '0800' +
      '06' +
      '04' +
      '0001' +
      '020000000002' +
      'c0a86301' +
      '000000000000' +
      'c0a86364',
  );
  t.equal(out[0], 0xee, 'nothing written before off');
  t.equal(out[2 + n], 0xee, 'nothing written after the frame');
});

t.test('buildGratuitousArp announces ip as both sender and target, tagged when asked', async (t) => {
  const out = Buffer.alloc(ARP_MAX_FRAME);
  const n = buildGratuitousArp(out, 0, MY, 0, VIP, 0x0064);
  t.equal(n, 46);
  t.equal(
    hex(out.subarray(0, n)),
    'ffffffffffff' +
      '020000000002' +
      '8100' +
      '0064' +
      '0806' +
      '000108000604' +
      '0001' +
      '020000000002' +
      'c0a85805' +
      '000000000000' +
      'c0a85805',
  );
  const f = new ParsedFrame();
  t.equal(parseFrame(out, 0, n, 0, f), DROP_NONE);
  t.same([f.vlanTci, f.arpOp, f.arpSpa, f.arpTpa], [0x64, 1, VIP, VIP]);
});

t.test('buildArpReply answers a given MAC/IP with a unicast reply', async (t) => {
  const out = Buffer.alloc(ARP_MAX_FRAME);
  const peer = Buffer.from('xx020000000001', 'latin1'); // MAC at offset 2 of some other array
  peer.set(macToBytes('02:00:00:00:00:01'), 2);
  const n = buildArpReply(out, 0, MY, 0, VIP, peer, 2, ipToU32('192.168.88.20'), -1);
  t.equal(
    hex(out.subarray(0, n)),
    '020000000001' +
      '020000000002' +
      '0806' +
      '000108000604' +
      '0002' +
      '020000000002' +
      'c0a85805' +
      '020000000001' +
      'c0a85814',
  );
});

t.test('buildIcmpTimeExceeded quotes the expired packet back to its source', async (t) => {
  const fr = buildFrame({
    src: '192.168.88.20',
    dst: '192.168.99.100',
    proto: 'udp',
    sport: 33434,
    dport: 33435,
    ttl: 1,
    payload: 'traceroute',
    tos: 0x2e,
  });
  const f = new ParsedFrame();
  parseFrame(fr, 0, fr.length, 0, f);
  const out = Buffer.alloc(ICMP_ERROR_MAX_FRAME);
  const n = buildIcmpTimeExceeded(out, 0, fr, f, VIP, 0x77);
  const e = out.subarray(0, n);
  t.equal(n, 14 + 20 + 8 + fr.length - 14);
  t.ok(verifyIpChecksum(e));
  t.ok(verifyL4Checksum(e));
  const g = new ParsedFrame();
  t.equal(parseFrame(e, 0, n, 0, g), DROP_NONE);
  t.same(
    [g.saddr, g.daddr, g.ttl, g.ipTos, g.ipId, g.dontFrag, g.icmpType, g.icmpCode, g.innerSport, g.innerDport],
    [VIP, ipToU32('192.168.88.20'), 64, 0xc0 | (0x2e & 0x1e), 0x77, 0, 11, 0, 33434, 33435],
  );
  t.equal(hex(e.subarray(0, 6)), hex(fr.subarray(6, 12)), 'back to the sender MAC');
  t.equal(hex(e.subarray(42)), hex(fr.subarray(14)), 'the whole packet is quoted');
});

t.test('icmpErrorAllowed follows the filters of __icmp_send', async (t) => {
  const f = new ParsedFrame();
  const cases: [string, Parameters<typeof buildFrame>[0], boolean][] = [
    ['a unicast UDP datagram', { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' }, true],
    [
      'a non-first fragment',
      { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', fragOff: 8, rawL4: Buffer.alloc(8) },
      false,
    ],
    ['a multicast destination', { src: '10.0.0.1', dst: '239.1.2.3', proto: 'udp' }, false],
    ['the limited broadcast', { src: '10.0.0.1', dst: '255.255.255.255', proto: 'udp' }, false],
    ['a zero source', { src: '0.0.0.0', dst: '10.0.0.2', proto: 'udp' }, false],
    ['an Ethernet broadcast', { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', dstMac: 'ff:ff:ff:ff:ff:ff' }, false],
    ['an echo request', { src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmpType: 8 }, true],
    [
      'an ICMP error',
      {
        src: '10.0.0.1',
        dst: '10.0.0.2',
        proto: 'icmp',
        icmpType: 11,
        payload: Buffer.from(buildFrame({ src: '10.0.0.2', dst: '10.0.0.9', proto: 'udp' }).subarray(14)),
      },
      false,
    ],
    ['an unknown ICMP type', { src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmpType: 40 }, false],
  ];
  for (const [name, spec, want] of cases) {
    const fr = buildFrame(spec);
    t.equal(parseFrame(fr, 0, fr.length, 0, f), DROP_NONE, `${name} parses`);
    t.equal(icmpErrorAllowed(fr, f), want, name);
  }
});
