// WorkerSyncDeal (src/daemon/sync-deal.ts) as the filter of each worker's SyncBackup: the same sync
// messages, read by one backup per worker of M, install each connection in the table of the member
// the fanout program (src/io/fanout-program.ts, run by test/helpers/cbpf.ts on frames built by
// test/helpers/frames.ts) hands its frames to: the client side member for classic NAT, and also
// the local port's member for a full-NAT connection's replies; a template in every table. The
// messages are written by the sync codec (tested against golden bytes in test/sync).

import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { CONN_F_TEMPLATE } from '../../src/conn/conn-flags.ts';
import { TCP_S_ESTABLISHED } from '../../src/conn/proto-tcp.ts';
import { WorkerSyncDeal } from '../../src/daemon/sync-deal.ts';
import { fanoutProgram } from '../../src/io/fanout-program.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import type { Service } from '../../src/model/service.ts';
import { SyncBackup } from '../../src/sync/sync-backup.ts';
import { writeConnV4, writeMesgHeader } from '../../src/sync/sync-codec.ts';
import { SyncConnState } from '../../src/sync/sync-conn-state.ts';
import { SyncFamily4, type SyncServices } from '../../src/sync/sync-family.ts';
import { SYNC_MESG_HEADER_LEN } from '../../src/sync/sync-proto.ts';
import { fanoutMember } from '../helpers/cbpf.ts';
import { buildFrame, u32ToIp } from '../helpers/frames.ts';
import { addDest, ip, makeSvc } from '../conn/helpers.ts';

const VIP = '192.168.88.5';
const RS = '192.168.99.100';
const LIP = '192.168.99.6';
const NAT_PORT = 80;
const FNAT_PORT = 81;

/** A fixed pseudo-random sequence (an LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

interface Entry {
  caddr: number;
  cport: number;
  vport: number;
  lport: number;
  template: boolean;
}

/** One worker's backup: its own table and services (VIP:80 classic NAT, VIP:81 full NAT). */
function worker(index: number, workers: number): { m: ConnManager; b: SyncBackup } {
  const m = new ConnManager({ capacity: 512, seed: 1, localAddrs: [ip(LIP)] });
  const nat = makeSvc(IPPROTO_TCP, VIP, NAT_PORT);
  addDest(nat, RS, 80, FWD_MASQ);
  const fnat = makeSvc(IPPROTO_TCP, VIP, FNAT_PORT);
  addDest(fnat, RS, 80, FWD_FULLNAT);
  const byPort = (p: number): Service | null => (p === NAT_PORT ? nat : p === FNAT_PORT ? fnat : null);
  const services: SyncServices = {
    lookup: (p, a, port) => (p === IPPROTO_TCP && a === ip(VIP) ? byPort(port) : null),
    lookupFwmark: () => null,
    lookup6: () => null,
    lookupFwmark6: () => null,
  };
  const st = new SyncConnState(m.table.capacity);
  const f = new SyncFamily4(m.table, m.expiry, m.timeouts, st, services);
  return { m, b: new SyncBackup(f, null, 4, 3, new WorkerSyncDeal(index, workers)) };
}

/** The entries as v1 messages of syncid 4, at most 25 entries each. */
function messages(entries: readonly Entry[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < entries.length; i += 25) {
    const buf = Buffer.alloc(1472);
    let off = SYNC_MESG_HEADER_LEN;
    const part = entries.slice(i, i + 25);
    for (const e of part) {
      const fullNat = e.vport === FNAT_PORT && !e.template;
      off += writeConnV4(
        buf,
        off,
        IPPROTO_TCP,
        e.template ? CONN_F_TEMPLATE : 0,
        e.template ? 0 : TCP_S_ESTABLISHED,
        e.cport,
        e.vport,
        80,
        0,
        e.template ? 300 : 900,
        e.caddr | 0,
        ip(VIP) | 0,
        ip(RS) | 0,
        fullNat,
        fullNat ? ip(LIP) | 0 : 0,
        e.lport,
        0,
      );
    }
    writeMesgHeader(buf, 0, 4, off, part.length);
    out.push(buf.subarray(0, off));
  }
  return out;
}

t.test("each synced entry lands in the table of the fanout program's member", async (t) => {
  const prog = fanoutProgram({ inAddrs: [ip(VIP)], localAddrs: [ip(LIP)] });
  const rnd = lcg(11);
  const entries: Entry[] = [];
  for (let i = 0; i < 120; i++) {
    entries.push({
      caddr: (0x0a000000 | (rnd() & 0xffffff)) >>> 0,
      cport: 1024 + (rnd() % 60000),
      vport: i % 2 === 0 ? NAT_PORT : FNAT_PORT,
      lport: 1024 + (rnd() % 60000),
      template: false,
    });
  }
  const tpl: Entry = { caddr: ip('10.1.2.3'), cport: 0, vport: NAT_PORT, lport: 0, template: true };
  entries.push(tpl);
  const msgs = messages(entries);
  for (const workers of [1, 2, 3, 4]) {
    const ws = Array.from({ length: workers }, (_, i) => worker(i, workers));
    for (const w of ws) for (const m of msgs) w.b.processMessage(m, m.length, 1000);
    let wrong = 0;
    let split = 0;
    let installed = 0;
    for (const e of entries) {
      if (e.template) continue;
      const client = u32ToIp(e.caddr);
      const inFrame = buildFrame({ proto: 'tcp', src: client, dst: VIP, sport: e.cport, dport: e.vport });
      const want = new Set([fanoutMember(prog, inFrame, workers)]);
      if (e.vport === FNAT_PORT) {
        const reply = buildFrame({ proto: 'tcp', src: RS, dst: LIP, sport: 80, dport: e.lport });
        want.add(fanoutMember(prog, reply, workers));
      } else {
        const reply = buildFrame({ proto: 'tcp', src: RS, dst: client, sport: 80, dport: e.cport });
        want.add(fanoutMember(prog, reply, workers));
      }
      if (want.size > 1 && e.vport === FNAT_PORT) split++;
      const has = ws.map((w) => w.m.table.lookupIn(IPPROTO_TCP, e.caddr, e.cport, ip(VIP), e.vport) >= 0);
      installed += has.filter(Boolean).length;
      if (!has.every((h, i) => h === want.has(i))) wrong++;
    }
    t.equal(wrong, 0, `${workers} worker(s): 120 connections, each on its members only`);
    t.ok(workers === 1 ? split === 0 : split > 0, `${workers} worker(s): ${split} full-NAT connections split`);
    t.equal(installed, 120 + split, 'one entry per member, two for a split connection');
    const tpls = ws.map((w) => w.m.table.lookupTemplate(IPPROTO_TCP, tpl.caddr, ip(VIP), NAT_PORT) >= 0);
    t.same(
      tpls,
      ws.map(() => true),
      'the template on every worker',
    );
    const created = ws.reduce((n, w) => n + w.b.stats.created, 0);
    const entriesSeen = ws.reduce((n, w) => n + w.b.stats.entries, 0);
    t.equal(created, 120 + split + workers, 'every taken entry created, none dropped');
    t.equal(entriesSeen, created, 'a worker counts only the entries it takes');
    t.same(
      ws.map((w) => w.b.stats.messages),
      ws.map(() => msgs.length),
      'every worker reads every message',
    );
  }
});
