// NeighTable's restored entries (src/datapath/neigh.ts): a STALE entry put back from a snapshot is
// used at once with no ARP request, re-probed only once a packet used it, confirmed by a reply,
// and forgotten after GC_STALE_MS when no packet used it.
import t from 'tap';
import { NeighTable } from '../../src/datapath/neigh.ts';
import { GC_STALE_MS, NUD_REACHABLE, NUD_STALE, type NeighSink } from '../../src/datapath/neigh-state.ts';

const IP = 0xc0a86364; // 192.168.99.100
const MAC = Uint8Array.from([2, 0, 0, 0, 0x99, 0x64]);

function table() {
  const requests: number[] = [];
  const sink: NeighSink = {
    arpRequest: (_port, ip) => requests.push(ip),
    transmit: () => undefined,
    dropUnresolved: () => undefined,
  };
  return { requests, neigh: new NeighTable(sink) };
}

t.test('a restored entry is used at once, STALE, without an ARP request', async (t) => {
  const { requests, neigh } = table();
  const v = neigh.version;
  neigh.restoreStale(IP, 1, MAC, 0, 0);
  t.ok(neigh.version > v, 'the table changed: a snapshot is due');
  const slot = neigh.lookup(IP);
  t.ok(slot >= 0, 'lookup finds a usable MAC');
  const out = new Uint8Array(6);
  neigh.writeMac(slot, out, 0);
  t.same(out, MAC);
  t.same(neigh.list(), [{ ip: IP, mac: '02:00:00:00:99:64', state: NUD_STALE, port: 1 }]);
  t.same(requests, [], 'no ARP request to use it');
});

t.test('used: re-probed at the next tick, REACHABLE on the reply', async (t) => {
  const { requests, neigh } = table();
  neigh.restoreStale(IP, 1, MAC, 0, 0);
  neigh.tick(100);
  t.same(requests, [], 'unused: not probed');
  neigh.lookup(IP);
  neigh.tick(200);
  t.same(requests, [IP], 'used: one probe');
  neigh.learn(IP, 1, MAC, 0, 300);
  t.equal(neigh.list()[0]!.state, NUD_REACHABLE, 'the reply confirms it');
});

t.test('used and never answered: probed maxProbes times, then forgotten', async (t) => {
  const { requests, neigh } = table();
  neigh.restoreStale(IP, 1, MAC, 0, 0);
  neigh.lookup(IP);
  for (let ms = 0; ms <= 5000; ms += 250) neigh.tick(ms);
  t.equal(requests.length, 3, 'three probes');
  t.equal(neigh.lookup(IP), -1, 'then gone');
});

t.test('never used: forgotten after GC_STALE_MS, with no request', async (t) => {
  const { requests, neigh } = table();
  neigh.restoreStale(IP, 1, MAC, 0, 0);
  neigh.tick(GC_STALE_MS - 1);
  t.ok(neigh.lookup(IP) >= 0, 'kept until then');
  const fresh = table();
  fresh.neigh.restoreStale(IP, 1, MAC, 0, 0);
  fresh.neigh.tick(GC_STALE_MS);
  t.equal(fresh.neigh.list().length, 0, 'gone at GC_STALE_MS');
  t.same([...requests, ...fresh.requests], []);
});

t.test('an address already known is left as it is', async (t) => {
  const { neigh } = table();
  neigh.learn(IP, 1, MAC, 0, 0);
  neigh.restoreStale(IP, 0, Uint8Array.from([2, 1, 1, 1, 1, 1]), 0, 0);
  t.same(neigh.list(), [{ ip: IP, mac: '02:00:00:00:99:64', state: NUD_REACHABLE, port: 1 }]);
});
