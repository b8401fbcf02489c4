import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { ConnTable } from '../../src/conn/conn-table.ts';
import { TimerWheel, type TimerSink } from '../../src/conn/timer-wheel.ts';
import { FWD_FULLNAT, FWD_MASQ, FWD_ROUTE } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { addDest, input, ip, makeSvc } from './helpers.ts';

const VIP = '192.168.88.5';

class Recorder implements TimerSink {
  fired: [number, number][] = [];
  now = 0;
  onTimer(id: number): void {
    this.fired.push([id, this.now]);
  }
}

t.test('a wheel timer never fires early and at most one tick late', async (t) => {
  const w = new TimerWheel(8, 100, 3); // 8 slots of 100 ms: 800 ms per revolution
  const r = new Recorder();
  w.arm(0, 250);
  w.arm(1, 299);
  w.arm(2, 300);
  w.arm(3, 2050); // more than two revolutions ahead
  const seen: string[] = [];
  for (let now = 0; now <= 2200; now += 50) {
    r.now = now;
    w.advance(now, 1000, r);
  }
  for (const [id, at] of r.fired) seen.push(`${id}@${at}`);
  t.same(seen, ['1@300', '0@300', '2@400', '3@2100'], 'a slot is walked newest first');
  t.equal(w.armedCount, 0);
});

t.test('re-arming later is lazy and re-arming earlier moves the timer', async (t) => {
  const w = new TimerWheel(4, 100, 3);
  const r = new Recorder();
  w.arm(0, 500);
  w.arm(0, 900); // later: stays in the 500 slot, moves when that slot comes round
  w.arm(1, 900);
  w.arm(1, 150); // earlier: moved now
  for (let now = 0; now <= 1100; now += 100) {
    r.now = now;
    w.advance(now, 1000, r);
  }
  t.same(r.fired, [
    [1, 200],
    [0, 1000],
  ]);
});

t.test('advance does bounded work per call and resumes where it stopped', async (t) => {
  const w = new TimerWheel(1000, 100, 4);
  const r = new Recorder();
  for (let i = 0; i < 1000; i++) w.arm(i, 50);
  const perCall: number[] = [];
  for (let k = 0; k < 20 && w.armedCount > 0; k++) {
    r.now = 100;
    perCall.push(w.advance(100, 300, r));
  }
  t.ok(
    perCall.every((n) => n <= 300),
    `each call fires at most the budget: ${perCall.join(',')}`,
  );
  t.equal(r.fired.length, 1000);
  t.equal(new Set(r.fired.map(([id]) => id)).size, 1000, 'each timer fires exactly once');
});

t.test('a timer cancelled or re-armed while its slot is half walked is handled', async (t) => {
  const w = new TimerWheel(10, 100, 3);
  const fired: number[] = [];
  const sink: TimerSink = {
    onTimer(id) {
      fired.push(id);
      if (id === 9) w.disarm(8); // the next one in the walk
      if (id === 7) w.arm(7, 1000); // re-arms itself
    },
  };
  for (let i = 0; i < 10; i++) w.arm(i, 50); // slot head order: 9, 8, ..., 0
  w.advance(100, 3, sink); // budget 3: slot start + 2 entries
  w.advance(100, 1000, sink);
  t.same(fired, [9, 7, 6, 5, 4, 3, 2, 1, 0]);
  t.ok(w.isArmed(7));
  w.advance(1100, 1000, sink);
  t.same(fired.slice(-1), [7]);
});

t.test('a long idle gap catches up without walking every missed tick', async (t) => {
  const w = new TimerWheel(4, 1000, 4, 0);
  const r = new Recorder();
  w.arm(0, 5_000);
  w.arm(1, 86_400_000 + 30_000); // one day later
  r.now = 86_400_000;
  const n = w.advance(86_400_000, 100, r);
  t.same([n, r.fired], [1, [[0, 86_400_000]]], 'the due timer fired within one bounded call');
  r.now = 86_429_999;
  w.advance(86_429_999, 100, r);
  t.equal(r.fired.length, 1, 'the other waits for its time');
  r.now = 86_431_000;
  w.advance(86_431_000, 100, r);
  t.same(r.fired[1], [1, 86_431_000]);
});

t.test('every counter returns to zero once everything has expired', async (t) => {
  const m = new ConnManager({
    capacity: 4096,
    seed: 5,
    localAddrs: [ip('192.168.99.1')],
    lportMin: 2000,
    lportMax: 2999,
  });
  const web = makeSvc(IPPROTO_TCP, VIP, 80);
  const dns = makeSvc(IPPROTO_UDP, VIP, 53);
  const sticky = makeSvc(IPPROTO_TCP, VIP, 443);
  sticky.flags |= SVC_F_PERSISTENT;
  sticky.timeoutSec = 300;
  const dests = [
    addDest(web, '192.168.99.100'),
    addDest(web, '192.168.99.101', 80, FWD_FULLNAT),
    addDest(web, '192.168.99.102', 80, FWD_ROUTE),
    addDest(dns, '192.168.99.100', 53),
    addDest(dns, '192.168.99.101', 53, FWD_FULLNAT),
    addDest(sticky, '192.168.99.100', 443),
    addDest(sticky, '192.168.99.101', 443, FWD_MASQ),
  ];
  let now = 0;
  for (let i = 0; i < 300; i++) {
    now += 10;
    const c = `10.0.${i >> 6}.${i & 63}`;
    const a = m.schedule(web, input(IPPROTO_TCP, c, 30000 + i, VIP, 80, now), TCP_SYN);
    m.onPacket(a, DIR_INPUT, TCP_SYN, now);
    if (i % 3 === 0) m.onPacket(a, DIR_INPUT, TCP_ACK, now); // ESTABLISHED
    if (i % 5 === 0) m.onPacket(a, DIR_INPUT, TCP_FIN | TCP_ACK, now);
    const b = m.schedule(dns, input(IPPROTO_UDP, c, 40000 + i, VIP, 53, now), 0);
    m.onPacket(b, DIR_INPUT, 0, now);
    const s = m.schedule(sticky, input(IPPROTO_TCP, c, 50000 + i, VIP, 443, now), TCP_SYN);
    m.onPacket(s, DIR_INPUT, TCP_SYN, now);
    m.onPacket(s, DIR_OUTPUT, TCP_SYN | TCP_ACK, now);
    m.onPacket(s, DIR_INPUT, TCP_ACK, now);
  }
  t.ok(dests.some((d) => d.activeConns > 0) && dests.some((d) => d.persistConns > 0));
  t.ok(m.fnat!.available() < 1000, 'full NAT ports are in use');
  for (let k = 0; k < 200 && m.count > 0; k++) {
    now += 60_000;
    m.expire(now);
  }
  t.equal(m.count, 0);
  t.same(
    dests.map((d) => [d.activeConns, d.inactConns, d.persistConns]),
    dests.map(() => [0, 0, 0]),
  );
  t.equal(m.fnat!.available(), 1000, 'every local port went back to its pool');
  t.equal(m.expiry.wheel.armedCount, 0);
  t.same([web.conns, dns.conns, sticky.conns], [300, 300, 300], 'conns counts connections ever made, not templates');
});

t.test('a packet keeps a connection alive and a shorter state timeout ends it sooner', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 5 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, VIP, 80), TCP_SYN);
  m.onPacket(id, DIR_INPUT, TCP_SYN, 0);
  m.onPacket(id, DIR_INPUT, TCP_ACK, 0); // ESTABLISHED, 900 s
  m.expire(800_000);
  m.onPacket(id, DIR_INPUT, TCP_ACK, 800_000); // re-armed to 1700 s
  m.expire(1_000_000);
  t.equal(m.count, 1, 'still alive after its first 900 s');
  m.onPacket(id, DIR_INPUT, TCP_FIN | TCP_ACK, 1_000_000); // CLOSE_WAIT, 60 s
  m.expire(1_059_999);
  t.equal(m.count, 1);
  m.expire(1_061_000);
  t.equal(m.count, 0, 'gone 60 s after the FIN, not at 1700 s');
});

t.test('deleteConn removes an entry now and expireNow makes it due', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 5 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100');
  const a = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 1, VIP, 80), TCP_SYN);
  const b = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 2, VIP, 80), TCP_SYN);
  m.onPacket(a, DIR_INPUT, TCP_SYN, 0);
  m.onPacket(b, DIR_INPUT, TCP_SYN, 0);
  t.ok(m.deleteConn(a, 10));
  t.same([m.count, d.activeConns], [1, 1]);
  t.notOk(m.deleteConn(a, 10), 'a second delete is a no-op');
  m.expiry.expireNow(b, 20);
  t.equal(connStateName(m.table, b), 'SYN_RECV');
  m.expire(1000);
  t.same([m.count, d.activeConns, d.inactConns], [0, 0, 0]);
});

t.test('the table capacity is independent of the wheel size', async (t) => {
  const tb = new ConnTable({ capacity: 5 });
  t.equal(tb.capacity, 5);
});
