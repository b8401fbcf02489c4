// reshardWorker and replyWorker (src/daemon/state-reshard.ts) against the fanout program itself
// (src/io/fanout-program.ts), run by a classic BPF interpreter (test/helpers/cbpf.ts) on frames
// built by test/helpers/frames.ts: a restored connection is dealt to the member the kernel will
// hand its frames to.

import t from 'tap';
import { fanoutProgram } from '../../src/io/fanout-program.ts';
import { replyWorker, reshardWorker } from '../../src/daemon/state-reshard.ts';
import { buildFrame, u32ToIp } from '../helpers/frames.ts';
import { fanoutMember } from '../helpers/cbpf.ts';
import { ip } from '../conn/helpers.ts';

const VIP = '192.168.88.5';
const RS = '192.168.99.100';
const LIP = '192.168.99.6';

/** A fixed pseudo-random sequence (an LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

t.test('reshardWorker names the member the fanout program picks for both directions', async (t) => {
  const prog = fanoutProgram({ inAddrs: [ip(VIP)], localAddrs: [ip(LIP)] });
  const rnd = lcg(7);
  for (const m of [1, 2, 3, 4, 5, 8]) {
    let agree = 0;
    let split = 0;
    let bad = 0;
    for (let i = 0; i < 300; i++) {
      const caddr = (0x0a000000 | (rnd() & 0xffffff)) >>> 0;
      const cport = 1024 + (rnd() % 60000);
      const lport = 1024 + (rnd() % 60000);
      const proto = i % 2 === 0 ? 'tcp' : 'udp';
      const client = u32ToIp(caddr);
      const inFrame = buildFrame({ proto, src: client, dst: VIP, sport: cport, dport: 80 });
      const natOut = buildFrame({ proto, src: RS, dst: client, sport: 80, dport: cport });
      const fnatOut = buildFrame({ proto, src: RS, dst: LIP, sport: 80, dport: lport });
      const inW = fanoutMember(prog, inFrame, m);
      const w = reshardWorker(caddr, cport, m);
      if (inW !== w || fanoutMember(prog, natOut, m) !== w) bad++;
      if (fanoutMember(prog, fnatOut, m) !== replyWorker(lport, m)) bad++;
      if (replyWorker(lport, m) === w) agree++;
      else split++;
    }
    t.equal(bad, 0, `${m} workers: 300 flows: in and NAT out on reshardWorker's member, full NAT out on replyWorker's`);
    t.ok(
      agree > 0 && (m === 1 ? split === 0 : split > 0),
      `${m} workers: full NAT ${agree} on one worker, ${split} split`,
    );
  }
});
