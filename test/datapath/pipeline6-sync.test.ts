// The IPv6 path tells connection sync about its connections as ip_vs_in_hook does for both
// families (ip_vs_sync_conn after a forwarded inbound packet): a NAT66 connection through the
// in-memory engine, with a master attached as tsvsd's sync daemon attaches it, is written as a
// struct ip_vs_sync_v6 entry whose addresses are the client's, the VIP6's and the real server's.
// Expected address bytes come from test/helpers/frames6.ts (its own IPv6 text parser).
import t from 'tap';
import { Engine } from '../../src/datapath/engine.ts';
import { MemoryIo } from '../../src/io/memory-io.ts';
import { FWD_MASQ } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { ServiceTable } from '../../src/model/service-table.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { SyncConnState } from '../../src/sync/sync-conn-state.ts';
import { SyncMaster } from '../../src/sync/sync-master.ts';
import { SyncMaster6 } from '../../src/sync/sync-master6.ts';
import { DEFAULT_SYNC_MAXLEN, defaultSyncSysctls } from '../../src/sync/sync-proto.ts';
import { addr6Bytes, buildFrame6, nd } from '../helpers/frames6.ts';
import { CIP6, DIP6, VIP6, addService6, config6, dest6 } from '../helpers/engine-lab6.ts';

const LVS0 = '02:00:00:00:00:01';
const LVS1 = '02:00:00:00:00:02';
const CMAC = '02:00:00:00:88:10';
const WMAC = '02:00:00:00:99:64';
const RIP6 = '2001:db8:99::100';

t.test('a NAT66 connection is synced at its 3rd inbound packet as an IPv6 entry', async (t) => {
  const io = new MemoryIo([
    { name: 'eth0', mac: LVS0 },
    { name: 'eth1', mac: LVS1 },
  ]);
  const services = new ServiceTable({ findScheduler });
  addService6(services, IPPROTO_TCP, 80, [dest6(RIP6, 8080, FWD_MASQ)]);
  const engine = new Engine(io, config6(), services, { now: () => 1_000_000 });
  engine.start();
  const sent: Buffer[] = [];
  const m = new SyncMaster(engine.conns.table, new SyncConnState(1024), defaultSyncSysctls(), 3, DEFAULT_SYNC_MAXLEN, {
    send: (buf, off, len, done) => {
      sent.push(Buffer.from(buf.subarray(off, off + len)));
      done();
    },
    wake: () => {},
  });
  engine.pipeline.sync = m;
  engine.v6!.sync = new SyncMaster6(m, engine.v6!.cm.t6, new SyncConnState(1024));

  // Both neighbours known, so every packet is forwarded at once.
  io.inject(0, nd(135, CIP6, 'ff02::1:ff00:5', VIP6, CMAC, '33:33:ff:00:00:05'));
  io.inject(1, nd(136, RIP6, DIP6, RIP6, WMAC, LVS1, 0x60));
  io.deliver();
  const c = { src: CIP6, dst: VIP6, srcMac: CMAC, dstMac: LVS0, sport: 40000, dport: 80, proto: 'tcp' as const };
  const r = { src: RIP6, dst: CIP6, srcMac: WMAC, dstMac: LVS1, sport: 8080, dport: 40000, proto: 'tcp' as const };
  io.inject(0, buildFrame6({ ...c, flags: 'S' }));
  io.inject(1, buildFrame6({ ...r, flags: 'SA' }));
  io.inject(0, buildFrame6({ ...c, flags: 'A' }));
  io.deliver();
  t.equal(m.connsSynced, 0, 'two inbound packets: below sync_threshold 3');
  io.inject(0, buildFrame6({ ...c, flags: 'PA', payload: Buffer.from('GET /') }));
  io.deliver();
  t.equal(m.connsSynced, 1, 'the third inbound packet syncs the ESTABLISHED connection');
  m.flushNow();
  m.sendQueued(10);
  t.equal(sent.length, 1);
  const msg = sent[0]!;
  t.equal(msg.length, 8 + 72, 'the header and one struct ip_vs_sync_v6');
  t.same([...msg.subarray(8, 12)], [0x01, IPPROTO_TCP, 0x00, 0x48], 'type STYPE_F_INET6, TCP, ver_size 72');
  t.equal(msg.readUInt16BE(16), 1, 'state ESTABLISHED');
  t.same([msg.readUInt16BE(18), msg.readUInt16BE(20), msg.readUInt16BE(22)], [40000, 80, 8080], 'cport vport dport');
  t.equal(msg.readUInt32BE(28), 900, 'timeout 900 s');
  t.same(msg.subarray(32, 48), addr6Bytes(CIP6), 'caddr');
  t.same(msg.subarray(48, 64), addr6Bytes(VIP6), 'vaddr');
  t.same(msg.subarray(64, 80), addr6Bytes(RIP6), 'daddr');
  t.equal(engine.conns.count, 0, 'nothing in the IPv4 table');
});
