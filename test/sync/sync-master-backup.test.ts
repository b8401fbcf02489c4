import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT, type Service } from '../../src/model/service.ts';
import { SyncBackup } from '../../src/sync/sync-backup.ts';
import { SyncFamily4, type SyncServices } from '../../src/sync/sync-family.ts';
import { SyncConnState } from '../../src/sync/sync-conn-state.ts';
import { SyncMaster } from '../../src/sync/sync-master.ts';
import { DEFAULT_SYNC_MAXLEN, defaultSyncSysctls } from '../../src/sync/sync-proto.ts';
import { addDest, input, ip, makeSvc } from '../conn/helpers.ts';

/** One director: its services (the same config on both sides) and its connection layer. */
function director(fwd = FWD_MASQ): { m: ConnManager; web: Service; services: SyncServices } {
  const m = new ConnManager({ capacity: 64, seed: 1, localAddrs: [ip('192.168.99.6')] });
  const web = makeSvc(IPPROTO_TCP, '192.168.88.5', 80);
  web.flags |= SVC_F_PERSISTENT;
  web.timeoutSec = 360;
  addDest(web, '192.168.99.100', 8080, fwd);
  const services: SyncServices = {
    lookup: (p, a, port) => (p === web.protocol && a === web.addr && port === web.port ? web : null),
    lookupFwmark: () => null,
    lookup6: () => null,
    lookupFwmark6: () => null,
  };
  return { m, web, services };
}

/** A backup over director d's IPv4 connections (no IPv6 path). */
function backupOf(d: { m: ConnManager; services: SyncServices }, syncid: number): SyncBackup {
  const st = new SyncConnState(d.m.table.capacity);
  return new SyncBackup(new SyncFamily4(d.m.table, d.m.expiry, d.m.timeouts, st, d.services), null, syncid);
}

/** A master over `m` whose messages land in `sent` (copies, as the socket would put them on the wire). */
function master(m: ConnManager): { s: SyncMaster; sent: Buffer[]; wakes: number[] } {
  const sent: Buffer[] = [];
  const wakes: number[] = [];
  const st = new SyncConnState(m.table.capacity);
  const s = new SyncMaster(m.table, st, defaultSyncSysctls(), 7, DEFAULT_SYNC_MAXLEN, {
    send: (buf, off, len, done) => {
      sent.push(Buffer.from(buf.subarray(off, off + len)));
      done();
    },
    wake: (delayMs) => void wakes.push(delayMs),
  });
  return { s, sent, wakes };
}

/** The client's handshake and `data` more packets, each inbound one told to the master as ip_vs_in_hook does. */
function connect(m: ConnManager, web: Service, s: SyncMaster, cport: number, data: number, nowMs: number): number {
  const id = m.schedule(web, input(IPPROTO_TCP, '10.0.0.1', cport, '192.168.88.5', 80, nowMs), TCP_SYN);
  m.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
  s.syncConn(id, nowMs);
  m.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, nowMs);
  for (let i = 0; i < data + 1; i++) {
    m.onPacket(id, DIR_INPUT, TCP_ACK, nowMs);
    s.syncConn(id, nowMs);
  }
  return id;
}

function rows(m: ConnManager, nowMs: number): string[] {
  return m
    .list(nowMs)
    .map(
      (v) =>
        `${v.template ? 'TPL' : 'CONN'} ${v.protocol} ${v.caddr.toString(16)}:${v.cport} ${v.vport} -> ${v.daddr.toString(16)}:${v.dport} ${v.stateName} ${v.remainingMs}`,
    )
    .sort();
}

t.test('a connection is synced at its 3rd inbound packet, its template with every packet', async (t) => {
  const a = director();
  const { s, sent, wakes } = master(a.m);
  connect(a.m, a.web, s, 40000, 1, 1000); // packets: SYN, ACK, data = 3 inbound
  t.equal(s.connsSynced, 4, 'template at packets 1, 2 and 3, the connection at packet 3');
  t.equal(sent.length, 0, 'a part-filled message waits');
  t.same(wakes, [20], "the message's first entry armed one flush timer, 20 ms");
  t.equal(s.flushDueInMs(1005), 15, 'its flush is due 20 ms after its first entry');
  s.flushOld(1019);
  t.equal(s.queueLength, 0, 'younger than 20 ms');
  s.flushOld(1020);
  t.equal(s.flushDueInMs(1020), -1, 'no partly filled message left');
  t.equal(s.sendQueued(100), 1);
  t.equal(sent.length, 1);
  const msg = sent[0]!;
  t.equal(msg.readUInt16BE(2), msg.length, 'size is the datagram');
  t.equal(msg[4], 4, 'nr_conns');
  t.equal(msg.length, 8 + 4 * 36);

  const b = director();
  const backup = backupOf(b, 0);
  backup.processMessage(msg, msg.length, 5000);
  t.match(backup.stats, { messages: 1, entries: 4, created: 2, updated: 2, corrupt: 0, skipped: 0 });
  t.same(rows(b.m, 5000), [
    'CONN 6 a000001:40000 80 -> c0a86364:8080 ESTABLISHED 900000',
    'TPL 6 a000001:0 80 -> c0a86364:8080 ASSURED 360000',
  ]);
  const d = b.web.dests[0]!;
  t.match(
    d,
    { activeConns: 1, inactConns: 0, persistConns: 1 },
    'synced ESTABLISHED counts as active, as the kernel binds it',
  );
});

t.test('a closing state syncs at once; a FIN from the client is a state change', async (t) => {
  const a = director();
  const { s } = master(a.m);
  const id = connect(a.m, a.web, s, 40001, 3, 1000); // synced at packet 3
  const before = s.connsSynced;
  a.m.onPacket(id, DIR_INPUT, TCP_FIN | TCP_ACK, 1000); // ESTABLISHED -> CLOSE_WAIT, packet 5
  s.syncConn(id, 1000);
  t.equal(s.connsSynced - before, 2, 'the connection (state change) and its template');
});

t.test('full NAT connections carry their local address and port to the backup', async (t) => {
  const a = director(FWD_FULLNAT);
  const { s, sent } = master(a.m);
  const id = connect(a.m, a.web, s, 40002, 1, 1000);
  s.flushNow();
  s.sendQueued(10);
  const b = director(FWD_FULLNAT);
  const backup = backupOf(b, 7);
  backup.processMessage(sent[0]!, sent[0]!.length, 1000);
  const laddr = a.m.table.laddr[id]!;
  const lport = a.m.table.lport[id]!;
  t.equal(laddr, ip('192.168.99.6'));
  const bid = b.m.lookupOut(IPPROTO_TCP, ip('192.168.99.100'), 8080, laddr, lport);
  t.ok(bid >= 0, 'the real server -> local address reply finds the synced connection');
  t.equal(b.m.table.flags[bid]! & 7, FWD_FULLNAT);
});

t.test('another syncid, a truncated or corrupt message are counted and leave the table as it was', async (t) => {
  const a = director();
  const { s, sent } = master(a.m);
  connect(a.m, a.web, s, 40003, 1, 1000);
  s.flushNow();
  s.sendQueued(10);
  const msg = sent[0]!;
  const b = director();
  const backup = backupOf(b, 9);
  backup.processMessage(msg, msg.length, 1000);
  t.equal(backup.stats.otherSyncid, 1);
  t.equal(b.m.count, 0);
  const b2 = director();
  const bk = backupOf(b2, 0);
  bk.processMessage(msg, msg.length - 1, 1000);
  t.equal(bk.stats.badLength, 1, 'size != received length');
  const bad = Buffer.from(msg);
  bad.writeUInt16BE(0x0fff, 8 + 2); // first entry claims 4095 bytes
  bk.processMessage(bad, bad.length, 1000);
  t.equal(bk.stats.corrupt, 1);
  t.equal(b2.m.count, 0, 'nothing made from a corrupt message');
});

t.test('random corruption never throws and never leaves an entry without its real server', async (t) => {
  const a = director();
  const { s, sent } = master(a.m);
  for (let i = 0; i < 20; i++) connect(a.m, a.web, s, 41000 + i, 1, 1000);
  s.flushNow();
  s.sendQueued(10);
  const msg = sent[0]!;
  const b = director();
  const bk = backupOf(b, 0);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 3000; i++) {
    const m = Buffer.from(msg);
    for (let k = 0, n = 1 + rnd(4); k < n; k++) m[8 + rnd(m.length - 8)] = rnd(256);
    bk.processMessage(m, m.length, 1000 + i);
  }
  t.ok(bk.stats.messages === 3000);
  let unbound = 0;
  b.m.forEach(2000, (v) => {
    if (v.dest === null || v.svc === null) unbound++;
  });
  t.equal(unbound, 0);
  const d = b.web.dests[0]!;
  let conns = 0;
  let tpls = 0;
  b.m.forEach(2000, (v) => {
    if (v.template) tpls++;
    else conns++;
  });
  t.equal(d.activeConns + d.inactConns, conns, 'the real server counts every connection exactly once');
  t.equal(d.persistConns, tpls);
});
