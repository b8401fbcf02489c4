import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { FWD_MASQ } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

t.test('the listing shows each entry with its state name and time left', async (t) => {
  const m = new ConnManager({ capacity: 32, seed: 4 });
  const web = makeSvc(IPPROTO_TCP, '192.168.88.5', 80);
  web.flags |= SVC_F_PERSISTENT;
  web.timeoutSec = 360;
  const d = addDest(web, '192.168.99.100', 8080);
  const dns = makeSvc(IPPROTO_UDP, '192.168.88.5', 53);
  addDest(dns, '192.168.99.101', 53);
  const a = m.schedule(web, input(IPPROTO_TCP, '10.0.0.1', 40000, '192.168.88.5', 80, 1000), TCP_SYN);
  m.onPacket(a, DIR_INPUT, TCP_SYN, 1000);
  m.onPacket(a, DIR_OUTPUT, TCP_SYN | TCP_ACK, 1000);
  m.onPacket(a, DIR_INPUT, TCP_ACK, 1000);
  const u = m.schedule(dns, input(IPPROTO_UDP, '10.0.0.2', 5353, '192.168.88.5', 53, 2000), 0);
  m.onPacket(u, DIR_INPUT, 0, 2000);
  const rows = m
    .list(31_000)
    .map((v) => [
      v.template,
      v.protocol,
      v.caddr,
      v.cport,
      v.vport,
      v.daddr,
      v.dport,
      v.stateName,
      v.remainingMs,
      v.fwd,
      v.control,
      v.nControl,
    ]);
  t.same(rows, [
    [true, IPPROTO_TCP, ip('10.0.0.1'), 0, 80, ip('192.168.99.100'), 8080, 'ASSURED', 330_000, FWD_MASQ, -1, 1],
    [false, IPPROTO_TCP, ip('10.0.0.1'), 40000, 80, ip('192.168.99.100'), 8080, 'ESTABLISHED', 870_000, FWD_MASQ, 0, 0],
    [false, IPPROTO_UDP, ip('10.0.0.2'), 5353, 53, ip('192.168.99.101'), 53, 'UDP', 271_000, FWD_MASQ, -1, 0],
  ]);
  t.equal(m.list(31_000, 'templates').length, 1);
  t.equal(m.list(31_000, 'conns').length, 2);
  t.equal(m.list(31_000)[0]!.dest, d);
  let visited = 0;
  t.equal(
    m.forEach(0, () => {
      visited++;
      return false;
    }),
    1,
    'returning false stops the walk',
  );
  t.equal(visited, 1);
});
