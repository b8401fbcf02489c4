import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { LocalAddrPool, PortPool } from '../../src/conn/port-pool.ts';
import { DROP_PORTS_EXHAUSTED } from '../../src/lib/drops.ts';
import { FWD_FULLNAT } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DIR_INPUT } from '../../src/conn/direction.ts';
import { TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

t.test('a port pool hands out its range in order and reuses the longest-idle port', async (t) => {
  const p = new PortPool(ip('192.168.99.1'), 5000, 5003);
  t.same([p.alloc(), p.alloc(), p.alloc(), p.alloc(), p.alloc()], [5000, 5001, 5002, 5003, -1]);
  t.ok(p.release(5001));
  t.ok(p.release(5000));
  t.notOk(p.release(5000), 'a double release is refused');
  t.notOk(p.release(6000), 'a port outside the pool is refused');
  t.same([p.alloc(), p.alloc(), p.alloc(), p.free], [5001, 5000, -1, 0]);
});

t.test('a bad range is a control-plane error', async (t) => {
  t.throws(() => new PortPool(1, 2000, 1999), {
    code: 'BAD_PORT_RANGE',
    message: 'Invalid local port range 2000-1999',
  });
  t.throws(() => new LocalAddrPool([]), { code: 'NO_LOCAL_ADDRESS' });
});

t.test('local addresses are used round robin and each is exhausted separately', async (t) => {
  const l = new LocalAddrPool([ip('192.168.99.1'), ip('192.168.99.2')], 7000, 7001);
  const got: string[] = [];
  for (let i = 0; i < 5; i++) {
    const port = l.alloc();
    got.push(port < 0 ? 'none' : `${l.lastAddr & 0xff}:${port}`);
  }
  t.same(got, ['1:7000', '2:7000', '1:7001', '2:7001', 'none']);
  t.ok(l.release(ip('192.168.99.2'), 7000));
  t.notOk(l.release(ip('192.168.99.3'), 7000));
  t.same([l.alloc(), l.lastAddr, l.available()], [7000, ip('192.168.99.2'), 0]);
});

t.test('full NAT drops new connections when the ports run out and reuses them after expiry', async (t) => {
  const m = new ConnManager({
    capacity: 16,
    seed: 3,
    localAddrs: [ip('192.168.99.1')],
    lportMin: 6000,
    lportMax: 6001,
  });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100', 80, FWD_FULLNAT);
  const a = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 1, '192.168.88.5', 80), TCP_SYN);
  const b = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 2, '192.168.88.5', 80), TCP_SYN);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 3, '192.168.88.5', 80), TCP_SYN), -DROP_PORTS_EXHAUSTED);
  t.same([m.count, d.inactConns, d.conns], [2, 2, 2], 'the failed attempt left nothing behind');
  m.onPacket(b, DIR_INPUT, TCP_SYN, 0); // SYN_RECV: lives 60 s
  m.onPacket(a, DIR_INPUT, TCP_RST, 0); // CLOSE: 10 s
  m.expire(12_000);
  t.equal(m.table.isLive(a), false);
  const c = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 3, '192.168.88.5', 80), TCP_SYN);
  t.same([m.table.lport[c], m.lookupOut(IPPROTO_TCP, ip('192.168.99.100'), 80, ip('192.168.99.1'), 6000)], [6000, c]);
  t.equal(m.table.lport[b], 6001);
});

t.test('a full NAT dest without local addresses is refused', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 3 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100', 80, FWD_FULLNAT);
  t.equal(m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 1, '192.168.88.5', 80), TCP_SYN), -DROP_PORTS_EXHAUSTED);
  t.equal(m.count, 0);
});

t.test(
  "a worker's slice holds only the ports p % slots == slot, and together the slices cover the range",
  async (t) => {
    const slices = [0, 1, 2].map((slot) => new PortPool(1, 1000, 1010, slot, 3));
    t.same(
      slices.map((p) => p.size),
      [3, 4, 4],
    );
    const got = slices.map((p) => {
      const out: number[] = [];
      for (let port = p.alloc(); port >= 0; port = p.alloc()) out.push(port);
      return out;
    });
    t.same(got, [
      [1002, 1005, 1008],
      [1000, 1003, 1006, 1009],
      [1001, 1004, 1007, 1010],
    ]);
    t.equal(slices[1]!.take(1001), false, "another slice's port is refused");
    t.equal(slices[1]!.release(1001), false);
    t.equal(slices[1]!.release(1000), true);
    t.throws(() => new PortPool(1, 1000, 1010, 3, 3), {
      code: 'BAD_PORT_RANGE',
      message: 'Invalid local port slice 3 of 3',
    });
  },
);
