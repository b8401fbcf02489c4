import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { REUSE_DROP, REUSE_KEEP, REUSE_RESCHEDULE } from '../../src/conn/conn-reuse.ts';
import { DEST_F_AVAILABLE, FWD_ROUTE } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

const VIP = '192.168.88.5';

function opened(fwd = 0) {
  const m = new ConnManager({ capacity: 16, seed: 8 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100', 80, fwd);
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  m.onPacket(id, DIR_INPUT, TCP_SYN, 0);
  m.onPacket(id, DIR_INPUT, TCP_ACK, 0);
  return { m, svc, d, id };
}

t.test('a SYN on a tuple in TIME_WAIT or CLOSE starts a new connection (conn_reuse_mode 1)', async (t) => {
  const { m, svc, id } = opened();
  m.onPacket(id, DIR_INPUT, TCP_FIN | TCP_ACK, 1000);
  m.onPacket(id, DIR_OUTPUT, TCP_FIN | TCP_ACK, 1000); // TIME_WAIT
  t.equal(m.checkExisting(id, TCP_ACK, 2000), REUSE_KEEP, 'only a SYN is a new connection');
  t.equal(m.checkExisting(id, TCP_SYN, 2000), REUSE_RESCHEDULE);
  t.equal(m.expiry.remainingMs(id, 2000), 0, 'the old one is due now');
  const fresh = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80, 2000), TCP_SYN);
  t.equal(m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 40000, ip(VIP), 80), fresh, 'the new one answers first');
  m.expire(4000);
  t.same([m.table.isLive(id), m.lookupIn(IPPROTO_TCP, ip('10.0.0.1'), 40000, ip(VIP), 80)], [false, fresh]);

  const r = opened();
  r.m.onPacket(r.id, DIR_INPUT, TCP_RST, 1000); // CLOSE
  t.equal(r.m.checkExisting(r.id, TCP_SYN, 1000), REUSE_RESCHEDULE);
});

t.test('conn_reuse_mode 0 and live states keep the old connection', async (t) => {
  const { m, id } = opened();
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_KEEP, 'ESTABLISHED');
  m.onPacket(id, DIR_INPUT, TCP_RST, 1000);
  m.reuse.connReuseMode = 0;
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_KEEP);
});

t.test('bit 2 of conn_reuse_mode also reuses FIN_WAIT of a DR connection', async (t) => {
  const { m, id } = opened(FWD_ROUTE);
  m.onPacket(id, DIR_INPUT, TCP_FIN | TCP_ACK, 1000); // INPUT_ONLY: FIN_WAIT
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_KEEP);
  m.reuse.connReuseMode = 3;
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_RESCHEDULE);
});

t.test('a persistent connection stays with its template on port reuse', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 8 });
  const svc = makeSvc();
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = 300;
  addDest(svc, '192.168.99.100');
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  m.onPacket(id, DIR_INPUT, TCP_RST, 0);
  t.equal(m.checkExisting(id, TCP_SYN, 1), REUSE_KEEP);
});

t.test('a removed real server drops packets unless expire_nodest_conn reschedules them', async (t) => {
  const { m, d, id } = opened();
  d.flags &= ~DEST_F_AVAILABLE;
  t.equal(m.checkExisting(id, TCP_ACK, 1000), REUSE_DROP);
  m.reuse.expireNodestConn = true;
  t.equal(m.checkExisting(id, TCP_ACK, 1000), REUSE_RESCHEDULE);
  t.equal(m.expiry.remainingMs(id, 1000), 0);
});

t.test('expire_nodest_conn reschedules a SYN for a quiesced server even in ESTABLISHED', async (t) => {
  const { m, d, id } = opened();
  d.weight = 0;
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_KEEP);
  m.reuse.expireNodestConn = true;
  t.equal(m.checkExisting(id, TCP_SYN, 1000), REUSE_RESCHEDULE);
});

t.test('UDP is never treated as a new connection', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 8 });
  const svc = makeSvc(IPPROTO_UDP, VIP, 53);
  addDest(svc, '192.168.99.100', 53);
  const id = m.schedule(svc, input(IPPROTO_UDP, '10.0.0.1', 5353, VIP, 53), 0);
  t.equal(m.checkExisting(id, TCP_SYN, 0), REUSE_KEEP);
});
