// The state files of a multi-worker engine with another worker count (src/daemon/state-reshard.ts):
// the entries of two shards dealt to three real tables and back to one, and the files on disk.
// state-reshard-fanout.test.ts checks the mapping against the fanout program itself.

import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fanoutWorker } from '../../src/io/fanout-program.ts';
import {
  dealEntries,
  foreignStateFiles,
  loadForeign,
  removeForeign,
  replyWorker,
  reshardWorker,
  shardPath,
  type ReshardStats,
} from '../../src/daemon/state-reshard.ts';
import { connLayout, encodeHeader } from '../../src/conn/conn-layout.ts';
import { columnsOf, placeImport } from '../../src/conn/conn-import.ts';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { restoreConns } from '../../src/conn/conn-restore.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { CONN_F_LPORT_POOLED } from '../../src/conn/conn-flags.ts';
import { TCP_ACK, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { FWD_FULLNAT, type Dest } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, type Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { Logger } from '../../src/lib/logger.ts';
import { u32ToIp } from '../helpers/frames.ts';
import { addDest, input, ip, makeSvc } from '../conn/helpers.ts';

const VIP = '192.168.88.5';
const RS = '192.168.99.100';
const LIP = '192.168.99.6';
const T0 = 1_000_000;

t.test('shardPath: workers 1 keeps the plain state file, the others name index and count', async (t) => {
  t.equal(shardPath('/run/tsvs/tsvsd.conn-state', 0, 1), '/run/tsvs/tsvsd.conn-state');
  t.equal(shardPath('/run/tsvs/tsvsd.conn-state', 1, 2), '/run/tsvs/tsvsd.conn-state.w1-of-2');
});

/** A fixed pseudo-random sequence (an LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

const CAP = 256;
const laddr = ip(LIP);

function fnatSvc(): Service {
  const svc = makeSvc(IPPROTO_TCP, VIP, 8080);
  addDest(svc, RS, 80, FWD_FULLNAT);
  return svc;
}

function natSvc(): { svc: Service; d: Dest } {
  const svc = makeSvc(IPPROTO_TCP, VIP, 80);
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = 300;
  svc.netmask = 0xffffffff;
  return { svc, d: addDest(svc, RS) };
}

/** A shard of `n` workers, as worker w's table: its own memory and port slice. */
function shard(w: number, n: number): { m: ConnManager; mem: ArrayBuffer } {
  const mem = new ArrayBuffer(connLayout(CAP).totalBytes);
  new Uint8Array(mem).set(encodeHeader(connLayout(CAP)));
  const m = new ConnManager({
    capacity: CAP,
    memory: mem,
    startMs: T0,
    localAddrs: [laddr],
    lportSlot: w,
    lportSlots: n,
  });
  return { m, mem };
}

function establish(m: ConnManager, svc: Service, caddr: number, cport: number): number {
  const id = m.schedule(svc, input(IPPROTO_TCP, u32ToIp(caddr), cport, VIP, svc.port, T0), TCP_SYN);
  if (id < 0) throw new Error(`schedule failed ${id}`);
  m.onPacket(id, DIR_INPUT, TCP_SYN, T0);
  m.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, T0);
  m.onPacket(id, DIR_INPUT, TCP_ACK, T0);
  return id;
}

t.test('two shards dealt to three workers: every connection where its frames go, or counted', async (t) => {
  const old = [shard(0, 2), shard(1, 2)];
  const oldSvc = [natSvc(), natSvc()];
  const oldFnat = [fnatSvc(), fnatSvc()];
  const flows: { caddr: number; cport: number; lport: number; fnat: boolean }[] = [];
  const rnd = lcg(11);
  for (let i = 0; i < 60; i++) {
    // The client of a persistent service: 4 addresses, so that templates control several connections.
    const fnat = i % 2 === 1;
    const caddr = fnat ? (0x0a000000 | (rnd() & 0xffff)) >>> 0 : ip(`10.1.0.${1 + ((i >> 1) % 4)}`);
    const cport = 1024 + (rnd() % 60000);
    const w = fanoutWorker(caddr, cport, 2);
    const id = establish(old[w]!.m, fnat ? oldFnat[w]! : oldSvc[w]!.svc, caddr, cport);
    flows.push({ caddr, cport, lport: old[w]!.m.table.lport[id]!, fnat });
  }
  const images = old.map((o) => ({ capacity: CAP, cols: columnsOf(o.mem, CAP) }));
  const st: ReshardStats = {
    files: [],
    unreadable: [],
    connections: 0,
    templates: 0,
    dealt: [0, 0, 0],
    split: 0,
    stale: [],
  };
  const imports = dealEntries(images, 3, st);
  const templates = old[0]!.m.table.count + old[1]!.m.table.count - flows.length;
  t.equal(st.connections, flows.length, 'every connection of both shards read');
  t.equal(st.templates, 4, 'one template per client, though both old shards had one of each');
  t.equal(templates, 8, 'both old shards had a template of each of the 4 clients (each scheduled on its own)');
  const next = [0, 1, 2].map((w) => shard(w, 3));
  const svcs = next.map(() => ({ nat: natSvc(), fnat: fnatSvc() }));
  const kept = next.map(({ m }, w) => {
    t.equal(placeImport(m.table, imports[w]!), 0, `worker ${w}: every dealt entry found a slot`);
    const s = svcs[w]!;
    return restoreConns(m, (_p, _a, port) => (port === 80 ? s.nat.svc : port === 8080 ? s.fnat : null), T0 + 1);
  });
  let found = 0;
  let splitFlows = 0;
  for (const f of flows) {
    const w = reshardWorker(f.caddr, f.cport, 3);
    const o = f.fnat ? replyWorker(f.lport, 3) : w;
    if (o !== w) splitFlows++;
    const vport = f.fnat ? 8080 : 80;
    const id = next[w]!.m.lookupIn(IPPROTO_TCP, f.caddr, f.cport, ip(VIP), vport);
    const om = next[o]!.m;
    const back = om.lookupOut(IPPROTO_TCP, ip(RS), 80, f.fnat ? laddr : f.caddr, f.fnat ? f.lport : f.cport);
    if (id >= 0 && back >= 0 && om.table.cport[back] === f.cport && om.table.caddr[back] === f.caddr) found++;
    if (o !== w)
      t.equal(next[w]!.m.table.flags[id]! & CONN_F_LPORT_POOLED, 0, `port ${f.lport}: the copy does not own it`);
  }
  t.equal(st.split, splitFlows, `${splitFlows} full NAT connections split: an entry on each of two workers`);
  t.ok(splitFlows > 0 && splitFlows < flows.length / 2, 'some connections split, not all');
  t.equal(
    found,
    flows.length,
    'every connection is found from the client where its client frames go, and from the real server where its replies go',
  );
  t.same(
    kept.map((k) => k.connections),
    st.dealt,
    'each worker restored what was dealt to it',
  );
  t.same(
    kept.map((k) => k.templates),
    [4, 4, 4],
    "every worker has one copy of each client's template",
  );
  // Back to one worker: a split connection's two copies become one again, the port's owner.
  const back: ReshardStats = { ...st, connections: 0, templates: 0, dealt: [0], split: 0 };
  const one = dealEntries(
    next.map((n) => ({ capacity: CAP, cols: columnsOf(n.mem, CAP) })),
    1,
    back,
  );
  t.same([back.connections, back.templates, back.split, one[0]!.count], [flows.length, 4, 0, flows.length + 4]);
  const single = shard(0, 1);
  placeImport(single.m.table, one[0]!);
  const s1 = { nat: natSvc(), fnat: fnatSvc() };
  const k1 = restoreConns(
    single.m,
    (_p, _a, port) => (port === 80 ? s1.nat.svc : port === 8080 ? s1.fnat : null),
    T0 + 1,
  );
  t.same(
    [k1.connections, k1.noLocalPort],
    [flows.length, 0],
    'one worker restores every connection once, with its port',
  );
  t.same(
    flows.filter((f) => f.fnat && single.m.fnat!.pools[0]!.take(f.lport)).map((f) => f.lport),
    [],
    'and its pool holds every full NAT port again',
  );
  for (const [w, { m }] of next.entries()) {
    const nat = svcs[w]!.nat;
    for (const c of [1, 2, 3, 4]) {
      const tpl = m.table.lookupTemplate(IPPROTO_TCP, ip(`10.1.0.${c}`), ip(VIP), 80);
      const ctl = flows.filter(
        (f) => !f.fnat && f.caddr === ip(`10.1.0.${c}`) && fanoutWorker(f.caddr, f.cport, 3) === w,
      );
      t.equal(m.table.nControl[tpl], ctl.length, `worker ${w}: client ${c}'s template controls its ${ctl.length} here`);
    }
    t.equal(nat.d.persistConns, 4, `worker ${w}: the dest counts the 4 templates`);
    for (const f of flows.filter((x) => x.fnat && replyWorker(x.lport, 3) === w))
      t.notOk(m.fnat!.pools[0]!.take(f.lport), `worker ${w}: port ${f.lport} is held again, not handed out`);
  }
});

t.test('loadForeign reads the files of another count, removeForeign removes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-reshard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'tsvsd.conn-state');
  const lines: string[] = [];
  const log = new Logger({ write: (l) => lines.push(l) });
  t.equal(loadForeign(path, 2, log), null, 'nothing to read: null');
  const old = [shard(0, 2), shard(1, 2)];
  const svc = [natSvc(), natSvc()];
  establish(old[0]!.m, svc[0]!.svc, ip('10.1.0.1'), 4000);
  establish(old[1]!.m, svc[1]!.svc, ip('10.1.0.2'), 4001);
  old.forEach((o, w) => writeFileSync(shardPath(path, w, 2), new Uint8Array(o.mem)));
  writeFileSync(`${path}.w0-of-x`, 'not a shard');
  t.same(foreignStateFiles(path, 2), [], 'the own count is not foreign');
  t.same(foreignStateFiles(path, 1), [shardPath(path, 0, 2), shardPath(path, 1, 2)]);
  const r = loadForeign(path, 1, log)!;
  t.same(
    [r.stats.connections, r.stats.templates, r.imports[0]!.count],
    [2, 2, 4],
    '2 clients: 2 connections, 2 templates',
  );
  removeForeign(r.stats);
  t.notOk(existsSync(shardPath(path, 0, 2)) || existsSync(shardPath(path, 1, 2)), 'the old shards are gone');

  old.forEach((o, w) => writeFileSync(shardPath(path, w, 2), new Uint8Array(o.mem)));
  writeFileSync(path, new Uint8Array(old[0]!.mem));
  const stale = loadForeign(path, 1, log)!;
  t.same(stale.stats.stale.length, 2, 'own file present: the others are left over from a cut-short re-shard');
  t.equal(stale.imports[0]!.count, 0, 'and nothing of them is dealt');
  writeFileSync(shardPath(path, 0, 3), 'short');
  rmSync(shardPath(path, 0, 2));
  rmSync(shardPath(path, 1, 2));
  const bad = loadForeign(path, 2, log)!;
  t.match(bad.stats.unreadable, [/w0-of-3: it has 5 bytes/], 'a broken file is named, not read');
  t.equal(bad.stats.connections, 1, "the workers 1 file's connection is read");
});
