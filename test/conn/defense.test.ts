// The IPVS defence strategies on the connection layer (src/conn/defense.ts, drop-entry.ts): the
// level changes of update_defense_level as free entries cross amemthresh, ip_vs_todrop's
// 1-in-rate drop, ip_vs_random_dropentry / todrop_entry's choices and rates, and secure_tcp's
// tcp_states_dos.
import t from 'tap';
import { ConnManager, type ConnManagerOptions } from '../../src/conn/conn-manager.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import { TCP_ACK, TCP_STATES, TCP_STATES_DOS, TCP_SYN } from '../../src/conn/proto-tcp.ts';
import { DROP_DEFENSE_PACKET } from '../../src/lib/drops.ts';
import { FWD_MASQ, FWD_ROUTE } from '../../src/model/dest.ts';
import { SVC_F_PERSISTENT } from '../../src/model/service.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { CONN_F_TEMPLATE } from '../../src/conn/conn-flags.ts';
import { addDest, input, makeSvc } from './helpers.ts';

const VIP = '192.168.88.5';
const SA = TCP_SYN | TCP_ACK;

function lab(opts: ConnManagerOptions, fwd = FWD_MASQ) {
  const m = new ConnManager({ seed: 1, defenseSeed: 7, ...opts });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100', 80, fwd);
  let n = 0;
  /** A SYN from a new client address: the entry sits in SYN_RECV. Returns the id or -drop. */
  const syn = (nowMs = 0): number => {
    n++;
    const caddr = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
    const id = m.schedule(svc, input(IPPROTO_TCP, caddr, 1024 + (n % 60000), VIP, 80, nowMs), TCP_SYN);
    if (id >= 0) m.onPacket(id, DIR_INPUT, TCP_SYN, nowMs);
    return id;
  };
  /** A full handshake (client SYN, server SYN-ACK, client ACK): ESTABLISHED, in_pkts 2. */
  const established = (nowMs = 0): number => {
    const id = syn(nowMs);
    if (id < 0) return id;
    m.onPacket(id, DIR_OUTPUT, SA, nowMs);
    m.onPacket(id, DIR_INPUT, TCP_ACK, nowMs);
    return id;
  };
  const levels = (): number[] => [
    m.defense.sysctls.dropEntry,
    m.defense.sysctls.dropPacket,
    m.defense.sysctls.secureTcp,
  ];
  return { m, svc, syn, established, levels };
}

t.test('level 1 engages (becomes 2) when free entries fall below amemthresh, and drops back to 1', async (t) => {
  const { m, syn, levels } = lab({
    capacity: 64,
    defense: { dropEntry: 1, dropPacket: 1, secureTcp: 1, amemthresh: 16 },
  });
  const ids: number[] = [];
  for (let i = 0; i < 48; i++) ids.push(syn());
  m.defense.updateLevel();
  t.same([m.defense.freeEntries, m.defense.nomem], [16, false], '16 free is not below amemthresh 16');
  t.same(levels(), [1, 1, 1]);
  t.same([m.defense.dropentry, m.defense.dropRate, m.timeouts.tcpStates === TCP_STATES], [false, 0, true]);
  ids.push(syn());
  m.defense.updateLevel();
  t.same([m.defense.freeEntries, m.defense.nomem], [15, true]);
  t.same(levels(), [2, 2, 2], 'each auto knob reports itself engaged');
  t.equal(m.defense.dropentry, true);
  t.equal(m.defense.dropRate, 16, 'amemthresh / (amemthresh - free) = 16 / 1');
  t.equal(m.timeouts.tcpStates, TCP_STATES_DOS, 'secure_tcp installs tcp_states_dos');
  for (let i = 0; i < 9; i++) m.deleteConn(ids.pop()!, 0);
  m.defense.updateLevel();
  t.same([m.defense.freeEntries, m.defense.nomem], [24, false]);
  t.same(levels(), [1, 1, 1], 'memory is back: level 2 returns to 1');
  t.same([m.defense.dropentry, m.defense.dropRate, m.timeouts.tcpStates === TCP_STATES], [false, 0, true]);
});

t.test('level 0 never engages, level 3 is always on whatever the free entries', async (t) => {
  const off = lab({ capacity: 8, defense: { amemthresh: 100 } });
  off.m.defense.updateLevel();
  t.same([off.m.defense.nomem, off.m.defense.dropentry, off.m.defense.dropRate], [true, false, 0]);
  t.equal(off.m.timeouts.tcpStates, TCP_STATES);
  const on = lab({ capacity: 8, defense: { dropEntry: 3, dropPacket: 3, secureTcp: 3, amemthresh: 0, amDroprate: 7 } });
  t.same([on.m.defense.nomem, on.m.defense.dropentry, on.m.defense.dropRate], [false, true, 7]);
  t.equal(on.m.timeouts.tcpStates, TCP_STATES_DOS);
  t.same(on.levels(), [3, 3, 3]);
});

t.test('bad sysctl values are refused with EINVAL, as proc_do_defense_mode does', async (t) => {
  for (const d of [{ dropEntry: 4 }, { dropPacket: -1 }, { secureTcp: 1.5 }, { amemthresh: -1 }]) {
    t.throws(() => new ConnManager({ capacity: 8, defense: d }), { code: 'EINVAL', message: 'Invalid argument' });
  }
});

t.test('drop_packet drops 1 in amemthresh / (amemthresh - free) new connections', async (t) => {
  const { m, syn } = lab({ capacity: 64, defense: { dropPacket: 1, amemthresh: 16 } });
  for (let i = 0; i < 56; i++) syn();
  m.defense.updateLevel();
  t.equal(m.defense.dropRate, 2, '16 / (16 - 8)');
  const got = Array.from({ length: 6 }, () => (syn() === -DROP_DEFENSE_PACKET ? 'drop' : 'ok'));
  t.same(got, ['ok', 'drop', 'ok', 'drop', 'ok', 'drop'], 'the counter starts at the rate: every 2nd goes');
  t.equal(m.defense.packetsDropped, 3);
  while (m.count < 64) syn();
  m.defense.updateLevel();
  t.equal(m.defense.dropRate, 1, 'a full table: 16 / 16, every new connection is dropped');
});

t.test('drop_packet 3 drops 1 in am_droprate, starting with the first (drop_counter starts at 0)', async (t) => {
  const { syn } = lab({ capacity: 64, defense: { dropPacket: 3, amDroprate: 4 } });
  const got = Array.from({ length: 9 }, () => (syn() === -DROP_DEFENSE_PACKET ? 'x' : '.')).join('');
  t.equal(got, 'x...x...x');
});

t.test('drop_entry deletes every SYN_RECV entry it visits, 1/32 of the buckets a second', async (t) => {
  const { m, syn } = lab({ capacity: 4096, defense: { dropEntry: 3 } });
  for (let i = 0; i < 2048; i++) syn();
  m.defenseWork(1000);
  const d = m.defense.dropEntry;
  t.ok(d.scanned > 0, `scanned ${d.scanned} entries in 4096 >> 5 = 128 random buckets`);
  t.equal(d.dropped, d.scanned, 'every SYN_RECV entry visited goes');
  t.ok(d.scanned <= 2048 / 8, 'about 1/32 of the entries, far from all');
  t.equal(m.count, 2048 - d.dropped);
  for (let s = 2; s <= 32; s++) m.defenseWork(s * 1000);
  // 32 scans of 1/32 of the table, each bucket picked at random: about (1 - 1/32)^32 = 36% left.
  t.ok(m.count > 2048 * 0.25 && m.count < 2048 * 0.5, `${m.count} of 2048 left after 32 s`);
});

t.test('drop_entry keeps ESTABLISHED entries that are young or busy, drops idle ones 1 in in_pkts', async (t) => {
  const young = lab({ capacity: 4096, defense: { dropEntry: 3 } });
  for (let i = 0; i < 2048; i++) young.established(0);
  young.m.defenseWork(59_000);
  t.ok(young.m.defense.dropEntry.scanned > 0);
  t.equal(young.m.defense.dropEntry.dropped, 0, 're-armed less than 60 s ago: never dropped');

  for (const extra of [0, 6, 7]) {
    const pkts = 2 + extra; // SYN and ACK, then data
    const { m, established } = lab({ capacity: 4096, defense: { dropEntry: 3 } });
    for (let i = 0; i < 2048; i++) {
      const id = established(0);
      for (let k = 0; k < extra; k++) m.onPacket(id, DIR_INPUT, TCP_ACK, 0);
    }
    m.defenseWork(60_000);
    const { scanned: v, dropped: d } = m.defense.dropEntry;
    const want = pkts > 8 ? 0 : Math.ceil(v / pkts);
    t.equal(d, want, `in_pkts ${pkts}: ${d} of ${v} visited dropped (the 1st, then every ${pkts}-th; none above 8)`);
  }
});

t.test('drop_entry leaves TCP entries in states other than SYN_RECV, SYNACK and ESTABLISHED', async (t) => {
  const { m, established } = lab({ capacity: 1024, defense: { dropEntry: 3 } });
  const ids: number[] = [];
  for (let i = 0; i < 1024; i++) ids.push(established(0));
  for (const id of ids) m.onPacket(id, DIR_INPUT, TCP_ACK | 0x01, 0); // FIN: CLOSE_WAIT
  for (let s = 1; s <= 40; s++) m.defenseWork(100_000 + s * 1000);
  t.ok(m.defense.dropEntry.scanned > 0);
  t.equal(m.defense.dropEntry.dropped, 0);
  t.equal(connStateName(m.table, ids[0]!), 'CLOSE_WAIT');
});

t.test('secure_tcp: a client ACK no longer completes SYN_RECV; the server reply does (NAT)', async (t) => {
  const run = (secureTcp: number): string[] => {
    const { m, syn } = lab({ capacity: 8, defense: { secureTcp } });
    const id = syn();
    const out = [connStateName(m.table, id)];
    for (const [dir, f] of [
      [DIR_INPUT, TCP_ACK],
      [DIR_OUTPUT, SA],
      [DIR_INPUT, TCP_ACK],
      [DIR_OUTPUT, TCP_ACK],
    ] as const) {
      m.onPacket(id, dir, f, 0);
      out.push(`${connStateName(m.table, id)} ${m.table.timeoutMs[id]! / 1000}`);
    }
    return out;
  };
  t.same(run(0), ['SYN_RECV', 'ESTABLISHED 900', 'ESTABLISHED 900', 'ESTABLISHED 900', 'ESTABLISHED 900']);
  t.same(
    run(3),
    ['SYN_RECV', 'SYN_RECV 60', 'SYNACK 120', 'SYNACK 120', 'ESTABLISHED 900'],
    'tcp_states_dos, with the same timeouts (tcp_timeout_change swaps only the table)',
  );
});

t.test('secure_tcp: a DR/TUN SYN goes to SYNACK, and each table differs from the other in 15 cells', async (t) => {
  const { m, syn } = lab({ capacity: 8, defense: { secureTcp: 3 } }, FWD_ROUTE);
  const id = syn();
  t.equal(connStateName(m.table, id), 'SYNACK', 'INPUT-ONLY syn: sNO -> sSA');
  let diff = 0;
  for (let i = 0; i < TCP_STATES.length; i++) if (TCP_STATES[i] !== TCP_STATES_DOS[i]) diff++;
  t.equal(diff, 15);
});

t.test('drop_entry: a SYN_RECV entry goes with its unassured template; assured templates stay', async (t) => {
  const { m, svc, syn, established } = lab({ capacity: 4096, defense: { dropEntry: 3 } });
  svc.flags |= SVC_F_PERSISTENT;
  svc.timeoutSec = 300;
  svc.netmask = 0xffffffff;
  const half: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < 500; i++) {
    half.push(syn());
    full.push(established());
  }
  const templates = (): number => {
    let n = 0;
    for (let id = 0; id < m.table.capacity; id++) if (m.table.isLive(id) && m.table.flags[id]! & CONN_F_TEMPLATE) n++;
    return n;
  };
  t.equal(templates(), 1000);
  // Same clock every run: the ESTABLISHED entries stay younger than 60 s and are never candidates.
  for (let s = 0; s < 400; s++) m.defenseWork(1000);
  t.ok(
    half.every((id) => !m.table.isLive(id) || m.table.flags[id]! & CONN_F_TEMPLATE),
    'every SYN_RECV connection was visited and dropped',
  );
  t.ok(
    full.every((id) => connStateName(m.table, id) === 'ESTABLISHED'),
    'established ones all stay',
  );
  t.equal(templates(), 500, 'the unassured templates went with their connections; the assured ones control theirs');
  t.equal(m.count, 1000);
});
