// Frames the fuzzer (bench/fuzz) found mishandled, as golden cases: the frame in, the port it
// arrives on, the exact frames out. Expected frames are built with test/helpers/frames.ts.
import t from 'tap';
import { buildFrame, hex, type FrameSpec } from '../helpers/frames.ts';
import { CIP, CMAC, engineLab, LVS0, LVS1, VIP } from '../helpers/engine-lab.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';

interface RegressionCase {
  readonly description: string;
  readonly made: string;
  readonly input: Buffer;
  readonly port: number;
  readonly flags: number;
  /** The service's protocol (VIP:80, one real server RIP1:80). */
  readonly proto: number;
  readonly output: readonly Buffer[];
}

const W1MAC = '02:00:00:00:99:64';
const RIP1 = '192.168.99.100';

const ping: FrameSpec = {
  dstMac: 'ff:ff:ff:ff:ff:ff',
  srcMac: CMAC,
  src: CIP,
  dst: VIP,
  proto: 'icmp',
  icmpType: 8,
  icmpId: 0x4d2,
  icmpSeq: 7,
  payload: 'fuzz',
  ttl: 64,
};

// 12 bytes of UDP (length 12) in a 13-byte IP payload: the 13th byte is excess the receiver trims.
const dgram: FrameSpec = {
  dstMac: LVS0,
  srcMac: CMAC,
  src: CIP,
  dst: VIP,
  proto: 'udp',
  sport: 5353,
  dport: 80,
  payload: 'hell',
  udpZeroCsum: true,
  ttl: 64,
};

const cases: RegressionCase[] = [
  {
    description: 'an echo request to the VIP sent to the broadcast MAC is answered from the port MAC, not from ff:ff..',
    made: 'fuzz seed 1 frame 775 (golden echo request with a foreign destination MAC), reduced by hand',
    input: buildFrame(ping),
    port: 0,
    flags: 0,
    proto: IPPROTO_TCP,
    output: [buildFrame({ ...ping, dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, icmpType: 0 })],
  },
  {
    description: 'a UDP datagram without checksum, shorter than its IP payload, gets a checksum over its UDP length',
    made: 'fuzz seed 2 frame 94249 (golden DNS query, checksum 0, UDP length one byte short), reduced by hand',
    input: buildFrame({ ...dgram, totLenOverride: 33, pad: 1 }),
    port: 0,
    flags: 0,
    proto: IPPROTO_UDP,
    output: [
      buildFrame({
        ...dgram,
        dstMac: W1MAC,
        srcMac: LVS1,
        dst: RIP1,
        udpZeroCsum: false,
        ttl: 63,
        totLenOverride: 33,
        pad: 1,
      }),
    ],
  },
];

for (const c of cases) {
  t.test(c.description, async (t) => {
    const { io, engine } = engineLab({ dests: [{ ip: RIP1, mac: W1MAC, weight: 1 }], proto: c.proto });
    io.inject(c.port, c.input, c.flags);
    io.deliver();
    t.same(
      io.sent.map((s) => hex(s.frame)),
      c.output.map((o) => hex(o)),
    );
    engine.stop();
  });
}
