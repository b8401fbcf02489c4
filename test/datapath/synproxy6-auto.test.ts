// The SYN proxy's automatic mode for an IPv6 service (MemoryIo, a manual clock), the same rule as
// IPv4's (synproxy-auto.test.ts): without a flood SYNs take IPVS's path; a random-source IPv6
// flood engages the proxy once the service's embryonic entries pass the threshold, after which
// SYNs leave no state and a real client still connects through its cookie; a quiet second
// disengages it (the engine's defence timer ticks the IPv6 proxy), and IPVS's path is back.
import t from 'tap';
import { floodEndsAndDisengages } from '../helpers/synproxy-auto.ts';
import { TCP_S_ESTABLISHED } from '../../src/conn/proto-tcp.ts';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { FWD_MASQ } from '../../src/model/dest.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { buildFrame6, nd } from '../helpers/frames6.ts';
import { CIP6, DIP6, VIP6, addService6, config6, dest6 } from '../helpers/engine-lab6.ts';
import { CMAC, LVS0, LVS1, W1MAC } from '../helpers/engine-lab.ts';

const RIP6 = '2001:db8:99::100';

t.test(
  'auto over IPv6: a flood engages the proxy, a client connects by its cookie, a quiet second ends it',
  async (t) => {
    const timers = new ManualTimers(1_000_000);
    const io = new MemoryIo([
      { name: 'eth0', mac: LVS0 },
      { name: 'eth1', mac: LVS1 },
    ]);
    const services = new ServiceTable({ findScheduler });
    addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, 8080, FWD_MASQ)]);
    const engine = new Engine(io, config6({ connCapacity: 4096 }), services, { now: () => timers.now(), timers });
    engine.start();
    const v6 = engine.v6!;
    const sp = v6.synproxy;
    const conns = v6.cm.conns;
    // The client's MAC known from its NS for the VIP6; the real server's from its NA below.
    io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
    io.deliver();
    const seg = (src: string, sport: number, flags: string, seq: number, ack = 0) =>
      buildFrame6({ src, dst: VIP6, srcMac: CMAC, dstMac: LVS0, proto: 'tcp', sport, dport: 80, flags, seq, ack });
    let k = 0;
    const flood = (n: number): void => {
      for (let i = 0; i < n; i++) {
        k++;
        const h = Math.imul(k, 0x9e3779b1) >>> 0;
        io.inject(
          0,
          seg(`2001:db8:77::${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`, 1024 + (k % 60000), 'S', 1),
        );
        if (i % 200 === 199) io.deliver();
      }
      io.deliver();
    };

    io.sent.length = 0;
    io.inject(0, seg(CIP6, 40000, 'S', 1));
    io.deliver();
    t.equal(conns.count, 1, 'no flood: the SYN makes an IPVS connection');
    t.equal(io.sent[0]?.frame[14 + 40], 135, 'the director solicits the real server (NS)');
    io.sent.length = 0;
    io.inject(1, nd(136, RIP6, DIP6, RIP6, W1MAC, LVS1, 0x60));
    io.deliver();
    t.equal(io.sent[0]?.port, 1, 'and the SYN goes to it once it answered');
    t.equal(io.sent[0]?.frame[14 + 40 + 13], 0x02);
    flood(1000);
    t.equal(sp.engagements, 1, 'the flood engaged the IPv6 proxy');
    t.equal(conns.count, sp.svcThreshold, 'only the entries before it engaged: the rest got cookies');
    t.equal(engine.pipeline.synproxy.cookiesSent, 1000 - (sp.svcThreshold - 1), "counted with IPv4's cookies");

    // A real client now: SYN -> cookie SYN-ACK; its ACK opens the connection to the real server.
    io.sent.length = 0;
    io.inject(0, seg(CIP6, 41000, 'S', 1));
    io.deliver();
    t.equal(io.sent[0]!.port, 0, 'the cookie SYN-ACK goes back to the client');
    const synack = io.sent[0]!.frame;
    t.equal(synack[14 + 40 + 13], 0x12, 'a SYN-ACK');
    const cookie = synack.readUInt32BE(14 + 40 + 4);
    io.sent.length = 0;
    io.inject(0, seg(CIP6, 41000, 'A', 2, cookie + 1));
    io.deliver();
    t.equal(io.sent.length, 1);
    t.equal(io.sent[0]!.port, 1, 'the proven ACK becomes a SYN to the real server');
    t.equal(io.sent[0]!.frame[14 + 40 + 13], 0x02);
    io.sent.length = 0;
    io.inject(
      1,
      buildFrame6({
        src: RIP6,
        dst: CIP6,
        srcMac: W1MAC,
        dstMac: LVS1,
        proto: 'tcp',
        sport: 8080,
        dport: 41000,
        flags: 'SA',
        seq: 500,
        ack: 2,
      }),
    );
    io.deliver();
    const id = v6.cm.lookupIn(IPPROTO_TCP, parseInet6(CIP6)!, 41000, parseInet6(VIP6)!, 80);
    t.equal(conns.table.state[id], TCP_S_ESTABLISHED, 'the server side completes: ESTABLISHED');
    t.equal(io.sent.length, 1, 'the director ACKs the server');

    // The flood goes on for a second (unanswered cookies), then stops.
    await floodEndsAndDisengages(t, timers, flood, sp);
    const before = conns.count;
    io.sent.length = 0;
    io.inject(0, seg(CIP6, 42000, 'S', 1));
    io.deliver();
    t.equal(conns.count, before + 1, 'IPVS path again: the SYN makes a connection');
    t.equal(io.sent[0]?.port, 1);
  },
);
