// The SYN proxy's automatic mode through the whole pipeline (MemoryIo, a manual clock): without a
// flood SYNs take IPVS's path; a random-source flood engages the proxy once the service's
// embryonic entries pass the threshold, after which SYNs leave no state and a real client still
// connects through its cookie; a quiet second disengages it, and IPVS's path is back.
import t from 'tap';
import { floodEndsAndDisengages } from '../helpers/synproxy-auto.ts';
import { TCP_S_ESTABLISHED } from '../../src/conn/proto-tcp.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { buildFrame, ipToU32, u32ToIp } from '../helpers/frames.ts';
import { CIP, CMAC, engineLab, LVS0, LVS1, VIP } from '../helpers/engine-lab.ts';

const RIP = '192.168.99.100';
const WMAC = '02:00:00:00:99:64';

t.test(
  'auto: a flood engages the proxy, a real client connects through its cookie, a quiet second disengages it',
  async (t) => {
    const timers = new ManualTimers(1_000_000);
    const { io, engine } = engineLab({ dests: [{ ip: RIP, mac: WMAC, weight: 1 }], connCapacity: 4096, timers });
    const sp = engine.pipeline.synproxy;
    const conns = engine.conns;
    const syn = (src: string, sport: number): void =>
      io.inject(
        0,
        buildFrame({ dstMac: LVS0, srcMac: CMAC, src, dst: VIP, proto: 'tcp', sport, dport: 80, flags: 'S', seq: 1 }),
      );
    let k = 0;
    const flood = (n: number): void => {
      for (let i = 0; i < n; i++) {
        k++;
        syn(u32ToIp((0x0b000000 | (Math.imul(k, 0x9e3779b1) >>> 8)) >>> 0), 1024 + (k % 60000));
        if (i % 200 === 199) io.deliver();
      }
      io.deliver();
    };

    syn(CIP, 40000);
    io.deliver();
    t.equal(conns.count, 1, 'no flood: the SYN makes an IPVS connection');
    t.equal(io.sent[0]?.port, 1, 'and goes to the real server');
    flood(1000);
    t.equal(sp.engagements, 1, 'the flood engaged the proxy');
    // The first client's entry is still in SYN_RECV: it counts among the service's embryonic entries.
    t.equal(conns.count, sp.svcThreshold, 'only the entries before it engaged: the rest got cookies');
    t.equal(sp.cookiesSent, 1000 - (sp.svcThreshold - 1));

    // A real client now: SYN -> cookie SYN-ACK; its ACK opens the connection to the real server.
    io.sent.length = 0;
    syn(CIP, 41000);
    io.deliver();
    const synack = io.sent[0]!.frame;
    t.equal(io.sent[0]!.port, 0, 'the cookie SYN-ACK goes back to the client');
    const cookie = synack.readUInt32BE(14 + 20 + 4);
    io.sent.length = 0;
    io.inject(
      0,
      buildFrame({
        dstMac: LVS0,
        srcMac: CMAC,
        src: CIP,
        dst: VIP,
        proto: 'tcp',
        sport: 41000,
        dport: 80,
        flags: 'A',
        seq: 2,
        ack: cookie + 1,
      }),
    );
    io.deliver();
    t.equal(io.sent.length, 1);
    t.equal(io.sent[0]!.port, 1, 'the proven ACK becomes a SYN to the real server');
    t.equal(io.sent[0]!.frame[14 + 20 + 13], 0x02);
    io.sent.length = 0;
    io.inject(
      1,
      buildFrame({
        dstMac: LVS1,
        srcMac: WMAC,
        src: RIP,
        dst: CIP,
        proto: 'tcp',
        sport: 80,
        dport: 41000,
        flags: 'SA',
        seq: 500,
        ack: 2,
      }),
    );
    io.deliver();
    const id = conns.lookupIn(6, ipToU32(CIP) | 0, 41000, ipToU32(VIP) | 0, 80);
    t.equal(conns.table.state[id], TCP_S_ESTABLISHED, 'the server side completes: ESTABLISHED');
    t.equal(io.sent.length, 1, 'the director ACKs the server');

    // The flood goes on for a second (unanswered cookies), then stops.
    await floodEndsAndDisengages(t, timers, flood, sp);
    const before = conns.count;
    io.sent.length = 0;
    syn(CIP, 42000);
    io.deliver();
    t.equal(conns.count, before + 1, 'IPVS path again: the SYN makes a connection');
    t.equal(io.sent[0]?.port, 1);
  },
);
