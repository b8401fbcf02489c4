import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { AF_INET, Dest, DEST_F_OVERLOAD, FWD_MASQ, destOverhead } from '../../src/model/dest.ts';
import { Service } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { findScheduler } from '../../src/sched/registry.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { input } from './helpers.ts';

/** ip_vs_wlc_schedule over svc.dests, straight from the counters (the reference). */
function wlcRef(svc: Service): Dest | null {
  let least: Dest | null = null;
  for (const d of svc.dests) {
    if (d.flags & DEST_F_OVERLOAD) continue;
    if (least === null) {
      if (d.weight > 0) least = d;
      continue;
    }
    if (destOverhead(least) * d.weight > destOverhead(d) * least.weight) least = d;
  }
  return least;
}

t.test('the real wlc scheduler stays exact while connections open, change state and expire', async (t) => {
  const sched = findScheduler('wlc');
  if (sched === undefined) throw new Error('wlc is not registered');
  const svc = new Service(AF_INET, IPPROTO_TCP, 0xc0a85805, 80, 0, 'wlc', sched.create(0));
  const weights = [1, 3, 2, 5];
  weights.forEach((w, i) => {
    const d = new Dest(AF_INET, 0xc0a86364 + i, 80);
    d.fwd = FWD_MASQ;
    d.weight = w;
    if (i === 3) d.uThreshold = 6; // -x 6 on the heaviest
    svc.dests.unshift(d);
  });
  svc.sched.init(svc);
  const m = new ConnManager({ capacity: 4096, seed: 11 });
  let seed = 7;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const live: number[] = [];
  let now = 0;
  let agree = 0;
  let overloadSkips = 0;
  for (let step = 0; step < 3000; step++) {
    now += 50;
    const op = rnd(10);
    if (op < 4 || live.length === 0) {
      const expected = wlcRef(svc);
      const heavy = svc.dests[0]!;
      if (heavy.flags & DEST_F_OVERLOAD) overloadSkips++;
      const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 1024 + step, '192.168.88.5', 80, now), TCP_SYN);
      if (id < 0) continue;
      if (m.table.dest[id] === expected) agree++;
      else t.fail(`step ${step}: wlc picked ${m.table.dest[id]!.addr & 0xff}, kernel scan ${expected?.addr ?? -1}`);
      m.onPacket(id, DIR_INPUT, TCP_SYN, now);
      live.push(id);
    } else {
      const k = rnd(live.length);
      const id = live[k]!;
      if (!m.table.isLive(id)) {
        live.splice(k, 1);
        continue;
      }
      const flags = [TCP_ACK, TCP_ACK, TCP_FIN | TCP_ACK, TCP_RST, TCP_SYN | TCP_ACK][rnd(5)]!;
      m.onPacket(id, rnd(2) === 0 ? DIR_INPUT : DIR_OUTPUT, flags, now);
    }
    if (step % 20 === 0) m.expire(now);
  }
  t.ok(agree > 1000, `${agree} picks, all equal to the kernel's scan`);
  t.ok(overloadSkips > 0, `the -x 6 server was OVERLOADed at ${overloadSkips} picks and skipped`);
  m.expire(now + 3_600_000);
  m.expire(now + 7_200_000);
  t.equal(m.count, 0);
  t.same(
    svc.dests.map((d) => [d.activeConns, d.inactConns, d.flags & DEST_F_OVERLOAD]),
    svc.dests.map(() => [0, 0, 0]),
  );
});
