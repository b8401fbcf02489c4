import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { CONN_F_HASHED, CONN_F_HASHED_OUT, CONN_F_ONE_PACKET } from '../../src/conn/conn-flags.ts';
import { DROP_CONN_TABLE_FULL, DROP_NO_DEST, DROP_NOT_FOR_US, DROP_NOT_SYN } from '../../src/lib/drops.ts';
import { SVC_F_ONEPACKET } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc, sched } from './helpers.ts';

const VIP = '192.168.88.5';

t.test('only a SYN creates a TCP connection and a RST never does', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  const inp = input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80);
  t.equal(m.schedule(svc, inp, TCP_ACK), -DROP_NOT_SYN);
  t.equal(m.schedule(svc, inp, TCP_FIN | TCP_ACK), -DROP_NOT_SYN);
  t.equal(m.schedule(svc, inp, TCP_RST), -DROP_NOT_SYN);
  t.equal(m.schedule(svc, inp, TCP_SYN | TCP_RST), -DROP_NOT_SYN);
  t.equal(m.count, 0);
  t.equal(sched(svc).picks, 0, 'the scheduler is not even asked');
  t.ok(m.schedule(svc, inp, TCP_SYN) >= 0);
  t.ok(
    m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40001, VIP, 80), TCP_SYN | TCP_ACK) >= 0,
    'SYN+ACK schedules too (active FTP)',
  );
  t.equal(m.count, 2);
});

t.test('sloppy_tcp lets any non-RST packet create a connection', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1, sloppyTcp: true });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  t.ok(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_ACK) >= 0);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40001, VIP, 80), TCP_RST | TCP_ACK), -DROP_NOT_SYN);
});

t.test('UDP always creates a connection', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc(IPPROTO_UDP, VIP, 53);
  addDest(svc, '192.168.99.100', 53);
  t.ok(m.schedule(svc, input(IPPROTO_UDP, '10.0.0.1', 5353, VIP, 53), 0) >= 0);
});

t.test('no available real server answers with the ICMP code and creates nothing', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN), -DROP_NO_DEST);
  addDest(svc, '192.168.99.100', 80, 0, 0); // weight 0: quiesced
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN), -DROP_NO_DEST);
  t.equal(m.count, 0);
});

t.test('a port that is not the service port is refused unless the service is persistent', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc(IPPROTO_TCP, VIP, 0);
  addDest(svc, '192.168.99.100', 0);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 443), TCP_SYN), -DROP_NO_DEST);
});

t.test('a client source port of 20 (FTP data) is never scheduled', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 20, VIP, 80), TCP_SYN), -DROP_NOT_FOR_US);
});

t.test('a new connection records the tuple, hashes both ways and counts conns', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100', 8080);
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  const tb = m.table;
  t.same(
    [
      tb.protocol[id],
      tb.caddr[id],
      tb.cport[id],
      tb.vaddr[id],
      tb.vport[id],
      tb.daddr[id],
      tb.dport[id],
      tb.laddr[id],
      tb.lport[id],
    ],
    [IPPROTO_TCP, ip('10.0.0.1'), 40000, ip(VIP), 80, ip('192.168.99.100'), 8080, ip('10.0.0.1'), 40000],
  );
  t.ok(tb.flags[id]! & CONN_F_HASHED);
  t.ok(tb.flags[id]! & CONN_F_HASHED_OUT);
  t.equal(tb.dest[id], d);
  t.equal(tb.svc[id], svc);
  t.same([d.conns, svc.conns], [1, 1]);
  t.equal(m.expiry.remainingMs(id, 0), 3000, 'armed with the 3 s initial timeout until put');
});

t.test('a dest without a port forwards to the virtual port', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100', 0);
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  t.equal(m.table.dport[id], 80);
});

t.test('a one-packet UDP connection is never hashed and goes away after its packet', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc(IPPROTO_UDP, VIP, 53);
  svc.flags |= SVC_F_ONEPACKET;
  const d = addDest(svc, '192.168.99.100', 53);
  const id = m.schedule(svc, input(IPPROTO_UDP, '10.0.0.1', 5353, VIP, 53), 0);
  t.ok(m.table.flags[id]! & CONN_F_ONE_PACKET);
  t.notOk(m.table.flags[id]! & CONN_F_HASHED);
  t.equal(m.lookupIn(IPPROTO_UDP, ip('10.0.0.1'), 5353, ip(VIP), 53), -1);
  t.same([d.inactConns, d.conns], [1, 1]);
  m.onPacket(id, DIR_INPUT, 0, 5);
  t.equal(m.count, 0);
  t.same([d.activeConns, d.inactConns, d.conns], [0, 0, 1]);
});

t.test('-o does not make TCP one-packet', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  svc.flags |= SVC_F_ONEPACKET;
  addDest(svc, '192.168.99.100');
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  t.notOk(m.table.flags[id]! & CONN_F_ONE_PACKET);
});

t.test('a full table refuses new connections and nothing is counted', async (t) => {
  const m = new ConnManager({ capacity: 2, seed: 1 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100');
  t.ok(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 1, VIP, 80), TCP_SYN) >= 0);
  t.ok(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 2, VIP, 80), TCP_SYN) >= 0);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 3, VIP, 80), TCP_SYN), -DROP_CONN_TABLE_FULL);
  t.same([d.inactConns, d.conns, svc.conns, m.count], [2, 2, 2, 2]);
});
