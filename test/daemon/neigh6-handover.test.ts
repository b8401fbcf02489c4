// IPv6 neighbours across a hand-over and a neighbour snapshot (handover.ts, neigh-snapshot.ts):
// the resolved entries of the IPv6 neighbour table (Xmit6, what `tsvsadm --engine` lists under
// neighbours6) go with the IPv4 ones, by interface name, so that the next engine forwards to an
// IPv6 real server at once without a neighbour solicitation.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { learnNeighbours, neighboursOf } from '../../src/daemon/handover.ts';
import { loadNeighbours, saveNeighbours, snapshotNeighbours } from '../../src/daemon/neigh-snapshot.ts';
import { reportedNeighbours } from '../../src/daemon/worker-stats.ts';
import { NUD_REACHABLE, NUD_STALE } from '../../src/datapath/neigh-state.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { parseInet6 } from '../../src/lib/inet6.ts';
import { Logger } from '../../src/lib/logger.ts';
import { FWD_ROUTE } from '../../src/model/dest.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { parseMac } from '../../src/packet/ethernet.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { tempDir } from '../cli/fixtures/harness.ts';
import { addService6, CIP6, config6, dest6, VIP6 } from '../helpers/engine-lab6.ts';
import { buildFrame6 } from '../helpers/frames6.ts';
import { hex, macToBytes } from '../helpers/frames.ts';

const RIP6 = '2001:db8:99::100';
const RMAC = '02:00:00:00:99:64';
const NOW = 1_000_000;

/** The IPv6 lab's director with one DR6 real server on eth1's prefix. */
function director() {
  const io = new MemoryIo([
    { name: 'eth0', mac: '02:00:00:00:00:01' },
    { name: 'eth1', mac: '02:00:00:00:00:02' },
  ]);
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, 80, FWD_ROUTE)]);
  const engine = new Engine(io, config6(), services, { now: () => NOW });
  engine.start();
  io.sent.length = 0;
  return { io, engine };
}

const syn = buildFrame6({
  src: CIP6,
  dst: VIP6,
  dstMac: '02:00:00:00:00:01',
  proto: 'tcp',
  sport: 40000,
  dport: 80,
  flags: 'S',
});

/** Learn the real server on a, hand it over to a fresh engine b (stale: as from a snapshot), forward. */
function handOver(t: Test, list: ReturnType<typeof neighboursOf>, stale: boolean) {
  const b = director();
  t.equal(learnNeighbours(b.engine, list, NOW, stale), 1, 'one neighbour learnt');
  const [row] = b.engine.v6!.x6.list();
  t.same(row, { ip: RIP6, mac: RMAC, state: stale ? NUD_STALE : NUD_REACHABLE, port: 1 }, 'on eth1');
  b.io.inject(0, syn);
  b.io.deliver();
  t.equal(b.engine.v6!.x6.nsRequests, 0, 'no neighbour solicitation');
  t.equal(b.io.sent.length, 1, 'the SYN leaves at once');
  t.equal(hex(b.io.sent[0]!.frame.subarray(0, 6)), hex(macToBytes(RMAC)), "to the real server's MAC");
  b.engine.stop();
}

t.test('a hand-over carries the IPv6 neighbours: the successor sends no NS', async (t) => {
  const a = director();
  a.engine.v6!.x6.learn(parseInet6(RIP6)!, 1, parseMac(RMAC), 0, NOW);
  const list = neighboursOf(a.engine);
  t.same(list, [{ ip: RIP6, mac: RMAC, ifname: 'eth1' }], 'handed over by interface name, the address as text');
  a.engine.stop();
  handOver(t, list, false);
});

t.test('the snapshot holds the IPv6 neighbours and is rewritten when only they change', async (t) => {
  const path = join(tempDir(t), 's.neigh');
  const a = director();
  const log = new Logger({ write: () => undefined });
  const stop = snapshotNeighbours(path, a.engine, log);
  t.same((JSON.parse(readFileSync(path, 'utf8')) as { neighbours: unknown[] }).neighbours, [], 'empty at first');
  a.engine.v6!.x6.learn(parseInet6(RIP6)!, 1, parseMac(RMAC), 0, NOW);
  stop();
  const saved = loadNeighbours(path, log);
  t.same(saved, [{ ip: RIP6, mac: RMAC, ifname: 'eth1' }], 'the IPv6 entry, written at the stop');
  t.equal(saveNeighbours(path, a.engine), 1);
  a.engine.stop();
  handOver(t, saved, true);
});

t.test("workers: a report's neighbours6 are handed over too", async (t) => {
  const engine = { neighbours: [], neighbours6: [{ ip: RIP6, mac: RMAC, state: NUD_STALE, port: 1 }] };
  const report = { engine } as unknown as Parameters<typeof reportedNeighbours>[0];
  t.same(reportedNeighbours(report, [{ name: 'eth0' }, { name: 'eth1' }]), [{ ip: RIP6, mac: RMAC, ifname: 'eth1' }]);
});
