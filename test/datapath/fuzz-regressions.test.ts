// Frames the fuzzer (bench/fuzz) found mishandled, as golden cases: the frame in, the port it
// arrives on, the exact frames out. Expected frames are built with test/helpers/frames.ts.
import t from 'tap';
import { buildFrame, hex, type FrameSpec } from '../helpers/frames.ts';
import { CIP, CMAC, engineLab, LVS0, VIP } from '../helpers/engine-lab.ts';

interface RegressionCase {
  readonly description: string;
  readonly made: string;
  readonly input: Buffer;
  readonly port: number;
  readonly flags: number;
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

const cases: RegressionCase[] = [
  {
    description: 'an echo request to the VIP sent to the broadcast MAC is answered from the port MAC, not from ff:ff..',
    made: 'fuzz seed 1 frame 775 (golden echo request with a foreign destination MAC), reduced by hand',
    input: buildFrame(ping),
    port: 0,
    flags: 0,
    output: [buildFrame({ ...ping, dstMac: CMAC, srcMac: LVS0, src: VIP, dst: CIP, icmpType: 0 })],
  },
];

for (const c of cases) {
  t.test(c.description, async (t) => {
    const { io, engine } = engineLab({ dests: [{ ip: RIP1, mac: W1MAC, weight: 1 }] });
    io.inject(c.port, c.input, c.flags);
    io.deliver();
    t.same(
      io.sent.map((s) => hex(s.frame)),
      c.output.map((o) => hex(o)),
    );
    engine.stop();
  });
}
