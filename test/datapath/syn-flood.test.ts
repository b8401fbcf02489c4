// A SYN flood of random sources through the whole pipeline (MemoryIo, a manual clock driving the
// once-a-second defence work): established connections survive, a real client's new connection
// completes, the defence level follows the free entries across amemthresh, drop_packet drops at
// the kernel's rate, secure_tcp runs the connections through tcp_states_dos, and a full table
// refuses new flows with a counted drop without evicting anyone. The service is set to SYN proxy
// `never`: these are IPVS's defences on their own (test/datapath/synproxy-flood.test.ts has the proxy).
import t from 'tap';
import { connStateName } from '../../src/conn/proto-state.ts';
import { DROP_CONN_TABLE_FULL, DROP_DEFENSE_PACKET } from '../../src/lib/drops.ts';
import { ManualTimers } from '../../src/lib/timers.ts';
import { SVC_F_SYNPROXY_NEVER } from '../../src/model/synproxy-state.ts';
import { buildFrame, ipToU32, u32ToIp } from '../helpers/frames.ts';
import { CIP, CMAC, engineLab, LVS0, LVS1, VIP, type EngineLabOptions } from '../helpers/engine-lab.ts';

const RIP = '192.168.99.100';
const WMAC = '02:00:00:00:99:64';

function lab(opts: Partial<EngineLabOptions> = {}) {
  const timers = new ManualTimers(1_000_000);
  const l = engineLab({
    dests: [{ ip: RIP, mac: WMAC, weight: 1 }],
    connCapacity: 1024,
    timers,
    serviceFlags: SVC_F_SYNPROXY_NEVER,
    ...opts,
  });
  const { io, engine } = l;
  const conns = engine.conns;
  const fromClient = (src: string, sport: number, flags: string): void =>
    io.inject(0, buildFrame({ dstMac: LVS0, srcMac: CMAC, src, dst: VIP, proto: 'tcp', sport, dport: 80, flags }));
  const fromServer = (cport: number, flags: string): void =>
    io.inject(
      1,
      buildFrame({ dstMac: LVS1, srcMac: WMAC, src: RIP, dst: CIP, proto: 'tcp', sport: 80, dport: cport, flags }),
    );
  const id = (cport: number): number => conns.lookupIn(6, ipToU32(CIP) | 0, cport, ipToU32(VIP) | 0, 80);
  const state = (cport: number): string => (id(cport) < 0 ? 'gone' : connStateName(conns.table, id(cport)));
  /** The three packets of a handshake, each delivered; the real server's SYN-ACK goes back to the client. */
  const handshake = (cport: number): void => {
    for (const step of [
      () => fromClient(CIP, cport, 'S'),
      () => fromServer(cport, 'SA'),
      () => fromClient(CIP, cport, 'A'),
    ]) {
      step();
      io.deliver();
    }
  };
  /** Client data on an established connection: true when it left toward the real server. */
  const dataForwarded = (cport: number): boolean => {
    io.sent.length = 0;
    fromClient(CIP, cport, 'PA');
    io.deliver();
    return io.sent.length === 1 && io.sent[0]!.port === 1;
  };
  let sent = 0;
  /**
   * n SYNs from scattered sources in 11.0.0.0/8 and ports (hping3 --rand-source), delivered in
   * batches; Knuth's multiplicative hash of a running count spreads them like random ones.
   */
  const flood = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const k = ++sent;
      const src = u32ToIp((0x0b000000 | (Math.imul(k, 0x9e3779b1) >>> 8)) >>> 0);
      fromClient(src, 1024 + ((Math.imul(k, 0x85ebca6b) >>> 16) % 64000), 'S');
      if (i % 500 === 499) io.deliver();
    }
    io.deliver();
    io.sent.length = 0;
  };
  return { ...l, timers, conns, handshake, dataForwarded, flood, state, fromClient, fromServer };
}

t.test('under a random-source SYN flood established connections live and a real client connects', async (t) => {
  const { engine, conns, handshake, dataForwarded, flood, state } = lab(); // default quota: 50%
  for (let p = 40000; p < 40010; p++) handshake(p);
  t.equal(state(40000), 'ESTABLISHED');
  flood(5000);
  t.equal(engine.drops.get(DROP_CONN_TABLE_FULL), 0, 'no SYN was refused: the oldest handshakes made room');
  t.same([conns.table.embryonic.count, conns.table.embryonic.quota, conns.count], [512, 512, 522]);
  let alive = 0;
  for (let p = 40000; p < 40010; p++) if (state(p) === 'ESTABLISHED' && dataForwarded(p)) alive++;
  t.equal(alive, 10, 'every established connection still forwards');
  handshake(41000);
  t.equal(state(41000), 'ESTABLISHED', "a real client's connection during the flood completes");
  t.equal(dataForwarded(41000), true);
  t.equal(engine.defenseStats().embryonicRecycled, 5000 - 512 + 1);
});

t.test('with no quota a full table refuses new flows (conn_table_full) and evicts no established one', async (t) => {
  const { engine, conns, handshake, dataForwarded, flood, state } = lab({ embryonicPercent: 0 });
  for (let p = 40000; p < 40010; p++) handshake(p);
  flood(2000);
  t.equal(conns.count, 1024);
  t.equal(engine.drops.get(DROP_CONN_TABLE_FULL), 2000 - (1024 - 10));
  let alive = 0;
  for (let p = 40000; p < 40010; p++) if (state(p) === 'ESTABLISHED' && dataForwarded(p)) alive++;
  t.equal(alive, 10);
  handshake(41000);
  t.equal(state(41000), 'gone', 'no room: its SYN is a counted drop (the client retransmits)');
});

t.test('the defence level follows the free entries across amemthresh, once a second', async (t) => {
  const { engine, conns, timers, handshake, dataForwarded, flood, state, fromClient, io, learn } = lab({
    embryonicPercent: 0,
    defense: { dropEntry: 1, dropPacket: 1, secureTcp: 1, amemthresh: 256 },
  });
  const d = conns.defense;
  for (let p = 40000; p < 40010; p++) handshake(p);
  flood(700);
  await timers.advance(1000);
  t.same(
    [d.freeEntries, d.nomem, d.sysctls.dropEntry, d.sysctls.dropPacket, d.sysctls.secureTcp],
    [314, false, 1, 1, 1],
  );
  flood(200);
  t.equal(d.freeEntries, 314, 'the level is not recomputed per packet');
  await timers.advance(1000);
  t.same(
    [d.freeEntries, d.nomem, d.sysctls.dropEntry, d.sysctls.dropPacket, d.sysctls.secureTcp],
    [114, true, 2, 2, 2],
  );
  t.equal(d.dropRate, 1, '256 / (256 - 114) = 1: every new connection packet is dropped');
  t.equal(conns.timeouts.secureTcp, true);
  t.ok(d.dropEntry.dropped > 0, `drop_entry ran in the same work: ${d.dropEntry.dropped} SYN_RECV entries deleted`);
  const before = engine.drops.get(DROP_DEFENSE_PACKET);
  flood(100);
  t.equal(engine.drops.get(DROP_DEFENSE_PACKET) - before, 100, 'drop_packet: every flood SYN dropped at rate 1');
  // The client keeps talking on its connections while the flood's SYN_RECV entries time out (60 s)
  // or are deleted by drop_entry; busy connections (in_pkts > 8) are never its candidates.
  for (let s = 0; s < 70; s += 5) {
    for (let p = 40000; p < 40010; p++) fromClient(CIP, p, 'A');
    io.deliver();
    await timers.advance(5000);
    engine.tick();
  }
  t.same([d.nomem, d.sysctls.dropEntry, d.sysctls.dropPacket, d.sysctls.secureTcp], [false, 1, 1, 1], 'back to auto');
  t.same([d.dropentry, d.dropRate, conns.timeouts.secureTcp], [false, 0, false]);
  t.equal(conns.count, 10, 'only the established connections are left');
  learn(); // 70 s on: the ARP entries have aged; answer as the neighbours would
  let alive = 0;
  for (let p = 40000; p < 40010; p++) if (state(p) === 'ESTABLISHED' && dataForwarded(p)) alive++;
  t.equal(alive, 10);
});

t.test('drop_packet 3 drops 1 in am_droprate new-connection packets from the first', async (t) => {
  const { engine, flood } = lab({ defense: { dropPacket: 3, amDroprate: 10 } });
  flood(1000);
  t.equal(engine.drops.get(DROP_DEFENSE_PACKET), 100);
});

t.test('secure_tcp 3: a NAT connection passes SYN_RECV and SYNACK and is ESTABLISHED by the server', async (t) => {
  const { io, state, fromClient, fromServer } = lab({ defense: { secureTcp: 3 } });
  const seen: string[] = [];
  for (const step of [
    () => fromClient(CIP, 40000, 'S'),
    () => fromClient(CIP, 40000, 'A'),
    () => fromServer(40000, 'SA'),
    () => fromClient(CIP, 40000, 'A'),
    () => fromServer(40000, 'PA'),
  ]) {
    step();
    io.deliver();
    seen.push(state(40000));
  }
  t.same(seen, ['SYN_RECV', 'SYN_RECV', 'SYNACK', 'SYNACK', 'ESTABLISHED']);
});
