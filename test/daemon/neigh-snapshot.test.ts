// The neighbour snapshot (src/daemon/neigh-snapshot.ts): what one engine saves, a second one
// (a start after kill -9) puts back STALE on the same interfaces; a missing, unreadable or foreign
// snapshot is an empty list (logged), never a failed start.
import t from 'tap';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '../../src/lib/logger.ts';
import { learnNeighbours } from '../../src/daemon/handover.ts';
import { loadNeighbours, saveNeighbours, snapshotNeighbours } from '../../src/daemon/neigh-snapshot.ts';
import { NUD_STALE } from '../../src/datapath/neigh-state.ts';
import { engineLab, CIP } from '../helpers/engine-lab.ts';
import { ipToU32 } from '../helpers/frames.ts';
import { tempDir } from '../cli/fixtures/harness.ts';

const DESTS = [
  { ip: '192.168.99.100', mac: '02:00:00:00:99:64', weight: 1 },
  { ip: '192.168.99.101', mac: '02:00:00:00:99:65', weight: 1 },
];

function logger() {
  const lines: string[] = [];
  return { lines, log: new Logger({ write: (s: string) => lines.push(s) }) };
}

t.test('saved by one engine, restored STALE by the next', async (t) => {
  const path = join(tempDir(t), 'tsvsd.conn-state.neigh');
  const a = engineLab({ dests: DESTS });
  t.equal(saveNeighbours(path, a.engine), 3, 'the client and both real servers');
  a.engine.stop();
  const b = engineLab({ dests: [] });
  // The second engine knows only the client (engineLab learns it): the real servers come back.
  const { log } = logger();
  const n = learnNeighbours(b.engine, loadNeighbours(path, log), b.now(), true);
  t.equal(n, 3);
  const rs = b.engine.xmit.neigh.list().filter((e) => e.ip !== ipToU32(CIP));
  t.same(
    rs.map((e) => [e.mac, e.state, e.port]).sort(),
    DESTS.map((d) => [d.mac, NUD_STALE, 1]),
    'both real servers, STALE, on eth1',
  );
  t.equal(b.engine.xmit.arpRequests, 0, 'no ARP request');
  b.engine.stop();
});

t.test('the snapshot is written when the table changes, and at the end', async (t) => {
  const path = join(tempDir(t), 's.neigh');
  const a = engineLab({ dests: DESTS.slice(0, 1) });
  const { log } = logger();
  const stop = snapshotNeighbours(path, a.engine, log);
  t.equal((JSON.parse(readFileSync(path, 'utf8')) as { neighbours: unknown[] }).neighbours.length, 2);
  a.engine.xmit.neigh.learn(ipToU32('192.168.99.101'), 1, Uint8Array.from([2, 0, 0, 0, 0x99, 0x65]), 0, a.now());
  stop();
  t.equal((JSON.parse(readFileSync(path, 'utf8')) as { neighbours: unknown[] }).neighbours.length, 3);
  t.notOk(existsSync(`${path}.tmp`), 'no temporary file left');
  a.engine.stop();
});

t.test('missing: [] quietly; corrupt or foreign: [] with a warning', async (t) => {
  const dir = tempDir(t);
  const { lines, log } = logger();
  t.same(loadNeighbours(join(dir, 'none'), log), []);
  t.equal(lines.length, 0, 'a missing snapshot is no news');
  for (const [name, text] of [
    ['half', '{"format":"tsvs-neigh-1","neighbours":[{"ip":"1.2.3.4"'],
    ['foreign', '{"format":"other","neighbours":[]}'],
    ['bad entry', '{"format":"tsvs-neigh-1","neighbours":[{"ip":1}]}'],
  ] as const) {
    const p = join(dir, name.replace(' ', '-'));
    writeFileSync(p, text);
    lines.length = 0;
    t.same(loadNeighbours(p, log), [], name);
    t.match(lines.join(''), /neighbour snapshot is not a tsvs-neigh-1 file/, `${name}: logged`);
  }
});

t.test('entries with an unknown interface or a bad MAC are skipped', async (t) => {
  const b = engineLab({ dests: [] });
  const n = learnNeighbours(
    b.engine,
    [
      { ip: '192.168.99.100', mac: '02:00:00:00:99:64', ifname: 'eth9' },
      { ip: '192.168.99.101', mac: 'zz:00:00:00:99:65', ifname: 'eth1' },
      { ip: '192.168.99.102', mac: '02:00:00:00:99:66', ifname: 'eth1' },
    ],
    b.now(),
    true,
  );
  t.equal(n, 1);
  b.engine.stop();
});
