// Connection sync of IPv6 connections over an in-memory link: a master (SyncMaster with its
// SyncMaster6) over one director's IPv6 table, its messages handed to a backup whose SyncFamily6
// makes the entries in another director's IPv6 table, bound by 128-bit comparison (ip_vs_sync_conn
// and ip_vs_proc_conn for AF_INET6, ip_vs_sync.c).
import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { ConnManager6 } from '../../src/conn/conn-manager6.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_S_ESTABLISHED, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { inet6Equal, inet6Fold, inet6Of, parseInet6, type Inet6 } from '../../src/lib/inet6.ts';
import { AF_INET6, Dest, FWD_FULLNAT, FWD_MASQ } from '../../src/model/dest.ts';
import { SchedInput } from '../../src/model/scheduler.ts';
import { SVC_F_PERSISTENT, Service } from '../../src/model/service.ts';
import { RrScheduler } from '../../src/sched/rr.ts';
import { SyncBackup } from '../../src/sync/sync-backup.ts';
import { SyncConnState } from '../../src/sync/sync-conn-state.ts';
import { SyncFamily4, SyncFamily6, type SyncServices } from '../../src/sync/sync-family.ts';
import { SyncMaster } from '../../src/sync/sync-master.ts';
import { SyncMaster6 } from '../../src/sync/sync-master6.ts';
import { DEFAULT_SYNC_MAXLEN, defaultSyncSysctls } from '../../src/sync/sync-proto.ts';

function a6(s: string): Inet6 {
  const w = parseInet6(s);
  if (w === null) throw new Error(s);
  return w;
}

const VIP = a6('2001:db8:88::5');
const RIP = a6('2001:db8:99::100');
const CIP = a6('2001:db8::10');
const LIP = a6('2001:db8:99::250');

/** One director: a persistent IPv6 service with one real server (the same config on both sides). */
function director(
  fwd = FWD_MASQ,
  rip = RIP,
): { m6: ConnManager6; m4: ConnManager; web: Service; services: SyncServices } {
  const m6 = new ConnManager6({ capacity: 64, seed: 1, localAddrs6: [LIP] });
  const m4 = new ConnManager({ capacity: 64, seed: 1 });
  const web = new Service(AF_INET6, IPPROTO_TCP, 0, 80, 0, 'rr', new RrScheduler(), VIP);
  web.flags |= SVC_F_PERSISTENT;
  web.timeoutSec = 360;
  web.netmask = 128;
  const d = new Dest(AF_INET6, 0, 8080, rip);
  d.fwd = fwd;
  web.dests.push(d);
  web.sched.init(web);
  const services: SyncServices = {
    lookup: () => null,
    lookupFwmark: () => null,
    lookup6: (p, a, port) => (p === web.protocol && inet6Equal(a, web.addr6) && port === web.port ? web : null),
    lookupFwmark6: () => null,
  };
  return { m6, m4, web, services };
}

/** A master over both tables of `a` whose messages land in `sent`. */
function master(a: { m6: ConnManager6; m4: ConnManager }): { s: SyncMaster; s6: SyncMaster6; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const s = new SyncMaster(a.m4.table, new SyncConnState(64), defaultSyncSysctls(), 7, DEFAULT_SYNC_MAXLEN, {
    send: (buf, off, len, done) => {
      sent.push(Buffer.from(buf.subarray(off, off + len)));
      done();
    },
    wake: () => {},
  });
  return { s, s6: new SyncMaster6(s, a.m6.t6, new SyncConnState(64)), sent };
}

function backup(b: ReturnType<typeof director>, withV6 = true): SyncBackup {
  const v4 = new SyncFamily4(b.m4.table, b.m4.expiry, b.m4.timeouts, new SyncConnState(64), b.services);
  const c = b.m6.conns;
  const v6 = new SyncFamily6(b.m6.t6, c.expiry, c.timeouts, new SyncConnState(64), b.services);
  return new SyncBackup(v4, withV6 ? v6 : null, 0);
}

const inp = new SchedInput();

/** The client's handshake and `data` more packets, each inbound one told to the master as Pipeline6 does. */
function connect(m6: ConnManager6, web: Service, s6: SyncMaster6, cport: number, data: number, nowMs: number): number {
  inp.set(IPPROTO_TCP, inet6Fold(CIP), cport, inet6Fold(VIP), 80, nowMs);
  const id = m6.schedule(web, inp, TCP_SYN, CIP, VIP);
  if (id < 0) throw new Error(`schedule: ${id}`);
  const m = m6.conns;
  m.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
  s6.syncConn(id, nowMs);
  m.onPacket(id, DIR_OUTPUT, TCP_SYN | TCP_ACK, nowMs);
  for (let i = 0; i < data + 1; i++) {
    m.onPacket(id, DIR_INPUT, TCP_ACK, nowMs);
    s6.syncConn(id, nowMs);
  }
  return id;
}

/** The one message the master sent after a flush. */
function flushed(s: SyncMaster, sent: Buffer[]): Buffer {
  s.flushNow();
  s.sendQueued(10);
  if (sent.length !== 1) throw new Error(`${sent.length} messages`);
  return sent[0]!;
}

t.test('an IPv6 connection and its template reach the backup as struct ip_vs_sync_v6 entries', async (t) => {
  const a = director();
  const { s, s6, sent } = master(a);
  connect(a.m6, a.web, s6, 40000, 1, 1000); // SYN, ACK, data = 3 inbound packets
  t.equal(s.connsSynced, 4, 'template at packets 1, 2 and 3, the connection at packet 3, as for IPv4');
  const msg = flushed(s, sent);
  t.equal(msg.length, 8 + 4 * 72);
  t.equal(msg[4], 4, 'nr_conns');
  for (let off = 8; off < msg.length; off += 72) t.equal(msg[off], 1, `type STYPE_F_INET6 at ${off}`);

  const b = director();
  const bk = backup(b);
  bk.processMessage(msg, msg.length, 5000);
  t.match(bk.stats, { messages: 1, entries: 4, created: 2, updated: 2, corrupt: 0, skipped: 0, noDest: 0 });
  t.equal(b.m4.count, 0, 'nothing in the IPv4 table');
  const t6 = b.m6.t6;
  const id = t6.lookupIn(IPPROTO_TCP, CIP, 40000, VIP, 80);
  t.ok(id >= 0, 'the client -> VIP packet finds the synced connection');
  const k = id << 2;
  t.same([...t6.daddr6.subarray(k, k + 4)], [...RIP]);
  t.equal(t6.table.state[id], TCP_S_ESTABLISHED);
  t.equal(t6.table.timeoutMs[id], 900_000);
  t.equal(t6.table.dest[id], b.web.dests[0]);
  t.equal(t6.hopIn[id], 0, 'next hops are found on the first packet');
  t.equal(t6.lookupOut(IPPROTO_TCP, RIP, 8080, CIP, 40000), id, "the real server's reply finds it too");
  const tpl = t6.lookupTemplate(IPPROTO_TCP, CIP, VIP, 80);
  t.ok(tpl >= 0 && tpl !== id, 'the template of the /128 prefix');
  t.equal(t6.table.timeoutMs[tpl], 360_000);
  t.equal(t6.table.control[id], -1, 'a synced connection is not controlled (the kernel binds none either)');
  t.match(b.web.dests[0]!, { activeConns: 1, inactConns: 0, persistConns: 1 });
});

t.test('IPv4 and IPv6 entries share the messages and each lands in its own table', async (t) => {
  const a = director();
  const { s, s6, sent } = master(a);
  connect(a.m6, a.web, s6, 40001, 1, 1000);
  const b = director();
  const bk = backup(b);
  // An IPv4 entry from the IPv4 path in the same message: written by hand into the master's buffer.
  const off = s.reserve(36, 1000);
  t.ok(off > 0);
  s.curBuf.fill(0, off, off + 36);
  s.curBuf[off + 1] = 17;
  s.curBuf[off + 3] = 36;
  s.commit(off + 36);
  const msg = flushed(s, sent);
  t.equal(msg[4], 5);
  bk.processMessage(msg, msg.length, 1000);
  t.match(bk.stats, { entries: 5, created: 2, updated: 2, noDest: 1 }, 'the IPv4 entry has no IPv4 service here');
});

t.test('without an IPv6 path the backup skips IPv6 entries, as a kernel without IP_VS_IPV6', async (t) => {
  const a = director();
  const { s, s6, sent } = master(a);
  connect(a.m6, a.web, s6, 40002, 1, 1000);
  const msg = flushed(s, sent);
  const b = director();
  const bk = backup(b, false);
  bk.processMessage(msg, msg.length, 1000);
  t.match(bk.stats, { entries: 4, skipped: 4, created: 0 });
  t.equal(b.m6.conns.count, 0);
});

t.test('the real server is found by its 128 bits: one whose address only shares the fold is not it', async (t) => {
  const a = director();
  const { s, s6, sent } = master(a);
  connect(a.m6, a.web, s6, 40003, 1, 1000);
  const msg = flushed(s, sent);
  const twin = inet6Of(RIP[0]!, RIP[1]! ^ 0x77, RIP[2]!, RIP[3]! ^ 0x77);
  t.equal(inet6Fold(twin), inet6Fold(RIP));
  const b = director(FWD_MASQ, twin);
  const bk = backup(b);
  bk.processMessage(msg, msg.length, 1000);
  t.match(bk.stats, { entries: 4, noDest: 4, created: 0 }, 'counted as the kernel finds no dest');
  t.equal(b.m6.conns.count, 0);
  const none = director();
  none.services.lookup6 = () => null;
  const bk2 = backup(none);
  bk2.processMessage(msg, msg.length, 1000);
  t.match(bk2.stats, { noDest: 4 }, 'no such service');
});

t.test('IPv6 full NAT connections carry their local address and port to the backup', async (t) => {
  const a = director(FWD_FULLNAT);
  const { s, s6, sent } = master(a);
  const id = connect(a.m6, a.web, s6, 40004, 1, 1000);
  const msg = flushed(s, sent);
  const k = id << 2;
  t.same([...a.m6.t6.laddr6.subarray(k, k + 4)], [...LIP], 'the master gave it the local address');
  const lport = a.m6.t6.table.lport[id]!;
  const b = director(FWD_FULLNAT);
  backup(b).processMessage(msg, msg.length, 1000);
  const bid = b.m6.t6.lookupOut(IPPROTO_TCP, RIP, 8080, LIP, lport);
  t.ok(bid >= 0, 'the real server -> local address reply finds the synced connection');
  t.equal(b.m6.t6.table.flags[bid]! & 7, FWD_FULLNAT);
  t.equal(b.m6.t6.lookupIn(IPPROTO_TCP, CIP, 40004, VIP, 80), bid);
});
