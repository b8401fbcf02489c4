import t from 'tap';
import { ConnManager } from '../../src/conn/conn-manager.ts';
import { CONN_F_INACTIVE, CONN_F_NOOUTPUT } from '../../src/conn/conn-flags.ts';
import { FWD_MASQ, FWD_ROUTE } from '../../src/model/dest.ts';
import { IPPROTO_TCP } from '../../src/lib/inet.ts';
import { DIR_INPUT, DIR_OUTPUT } from '../../src/conn/direction.ts';
import { connStateName } from '../../src/conn/proto-state.ts';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  TCP_STATES,
  TCP_S_LAST,
  TCP_STATE_NAMES,
  tcpStateIdx,
} from '../../src/conn/proto-tcp.ts';
import { addDest, input, makeSvc, sched } from './helpers.ts';

const SA = TCP_SYN | TCP_ACK;
const FA = TCP_FIN | TCP_ACK;

/** Drive one connection through packets; record [state, timeout s, active, inactive] after each. */
function drive(fwd: number, steps: [number, number][]) {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  const d = addDest(svc, '192.168.99.100', 80, fwd);
  const syn = steps[0]!;
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, '192.168.88.5', 80), syn[1]);
  const bound = [connStateName(m.table, id), m.table.timeoutMs[id]! / 1000, d.activeConns, d.inactConns];
  const out: (string | number)[][] = [];
  let now = 0;
  for (const [dir, flags] of steps) {
    now += 1000;
    m.onPacket(id, dir, flags, now);
    out.push([connStateName(m.table, id), m.table.timeoutMs[id]! / 1000, d.activeConns, d.inactConns]);
  }
  return { m, id, d, svc, bound, out, now };
}

t.test('a NAT handshake and client-first close walk the kernel states, timeouts and counters', async (t) => {
  // Derived from ip_vs_proto_tcp.c. ip_vs_bind_dest counts the new conn INACTIVE (dest conn_flags
  // always carry IP_VS_CONN_F_INACTIVE) in state NONE with the 3 s ip_vs_conn_new timeout.
  // INPUT syn from sNO -> sSR; SYN_RECV is in tcp_state_active_table, so inactive -> active.
  // OUTPUT syn (SYN+ACK: syn outranks ack in tcp_state_idx) from sSR -> sSR: no change.
  // INPUT ack from sSR -> sES. INPUT fin from sES -> sCW (not active: active -> inactive).
  // OUTPUT ack from sCW -> sCW. OUTPUT fin from sCW -> sTW. INPUT ack from sTW -> sTW.
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_OUTPUT, SA],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, FA],
    [DIR_OUTPUT, TCP_ACK],
    [DIR_OUTPUT, FA],
    [DIR_INPUT, TCP_ACK],
  ]);
  t.same(r.bound, ['NONE', 3, 0, 1]);
  t.same(r.out, [
    ['SYN_RECV', 60, 1, 0],
    ['SYN_RECV', 60, 1, 0],
    ['ESTABLISHED', 900, 1, 0],
    ['CLOSE_WAIT', 60, 0, 1],
    ['CLOSE_WAIT', 60, 0, 1],
    ['TIME_WAIT', 120, 0, 1],
    ['TIME_WAIT', 120, 0, 1],
  ]);
  t.equal(r.m.expiry.remainingMs(r.id, r.now), 120_000, 'the last packet re-armed the timer with TIME_WAIT');
  t.same(sched(r.svc).loadChanges, ['80:0/1', '80:1/0', '80:0/1'], 'the scheduler hears bind and each counter move');
});

t.test('a server-first close goes through FIN_WAIT', async (t) => {
  // OUTPUT fin from sES -> sFW (120 s, inactive); INPUT ack sFW -> sFW; INPUT fin sFW -> sTW;
  // OUTPUT ack sTW -> sTW.
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_OUTPUT, SA],
    [DIR_INPUT, TCP_ACK],
    [DIR_OUTPUT, FA],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, FA],
    [DIR_OUTPUT, TCP_ACK],
  ]);
  t.same(r.out.slice(3), [
    ['FIN_WAIT', 120, 0, 1],
    ['FIN_WAIT', 120, 0, 1],
    ['TIME_WAIT', 120, 0, 1],
    ['TIME_WAIT', 120, 0, 1],
  ]);
});

t.test('a RST closes an established connection for 10 s and makes it inactive', async (t) => {
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, TCP_RST | TCP_ACK],
  ]);
  t.same(r.out, [
    ['SYN_RECV', 60, 1, 0],
    ['ESTABLISHED', 900, 1, 0],
    ['CLOSE', 10, 0, 1],
  ]);
});

t.test('a RST from the server during the handshake closes it', async (t) => {
  // OUTPUT rst from sSR -> sCL.
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_OUTPUT, TCP_RST],
  ]);
  t.same(r.out, [
    ['SYN_RECV', 60, 1, 0],
    ['CLOSE', 10, 0, 1],
  ]);
});

t.test('a DR connection uses the INPUT_ONLY rows until a reply is seen', async (t) => {
  // Non-NAT dests carry IP_VS_CONN_F_NOOUTPUT, so set_tcp_state reads INPUT-ONLY: there a
  // client FIN in ESTABLISHED gives FIN_WAIT (the INPUT row would give CLOSE_WAIT).
  const r = drive(FWD_ROUTE, [
    [DIR_INPUT, TCP_SYN],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, FA],
    [DIR_INPUT, TCP_ACK],
  ]);
  t.same(r.bound, ['NONE', 3, 0, 1]);
  t.same(r.out, [
    ['SYN_RECV', 60, 1, 0],
    ['ESTABLISHED', 900, 1, 0],
    ['FIN_WAIT', 120, 0, 1],
    ['FIN_WAIT', 120, 0, 1],
  ]);
  t.ok(r.m.table.flags[r.id]! & CONN_F_NOOUTPUT);
  r.m.onPacket(r.id, DIR_OUTPUT, TCP_ACK, r.now + 1);
  t.notOk(r.m.table.flags[r.id]! & CONN_F_NOOUTPUT, 'an output packet clears NOOUTPUT');
});

t.test('an INPUT-ONLY RST in SYNACK closes, where the INPUT row keeps SYN_RECV', async (t) => {
  const SYNACK = 10;
  t.equal(TCP_STATES[(8 + 3) * TCP_S_LAST + SYNACK], 6, 'INPUT_ONLY rst: sSA -> sCL');
  t.equal(TCP_STATES[(0 + 3) * TCP_S_LAST + SYNACK], 3, 'INPUT rst: sSA -> sSR');
});

t.test('flag priority is rst > syn > fin > ack, and no flag at all means CLOSE', async (t) => {
  t.equal(tcpStateIdx(TCP_SYN | TCP_RST), 3);
  t.equal(tcpStateIdx(TCP_SYN | TCP_FIN | TCP_ACK), 0);
  t.equal(tcpStateIdx(TCP_FIN | TCP_ACK), 1);
  t.equal(tcpStateIdx(TCP_ACK), 2);
  t.equal(tcpStateIdx(0x08), -1);
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, 0x08],
  ]);
  t.same(r.out[2], ['CLOSE', 10, 0, 1]);
});

t.test('an ACK from NONE reaches ESTABLISHED (the rows added with sloppy_tcp)', async (t) => {
  t.equal(TCP_STATE_NAMES[TCP_STATES[(0 + 2) * TCP_S_LAST + 0]!], 'ESTABLISHED');
  t.equal(TCP_STATE_NAMES[TCP_STATES[(4 + 2) * TCP_S_LAST + 0]!], 'ESTABLISHED');
  t.equal(TCP_STATE_NAMES[TCP_STATES[(8 + 2) * TCP_S_LAST + 0]!], 'ESTABLISHED');
});

t.test('--set timeouts apply from the next state transition', async (t) => {
  const m = new ConnManager({ capacity: 16, seed: 1 });
  const svc = makeSvc();
  addDest(svc, '192.168.99.100');
  const id = m.schedule(svc, input(IPPROTO_TCP, '10.0.0.1', 40000, '192.168.88.5', 80), TCP_SYN);
  m.onPacket(id, DIR_INPUT, TCP_SYN, 0);
  m.onPacket(id, DIR_INPUT, TCP_ACK, 1);
  t.equal(m.table.timeoutMs[id], 900_000);
  m.timeouts.set(100, 50, 30);
  t.equal(m.table.timeoutMs[id], 900_000, 'the running connection keeps its timeout');
  m.onPacket(id, DIR_INPUT, TCP_ACK, 2);
  t.equal(m.table.timeoutMs[id], 100_000, 'ESTABLISHED -> ESTABLISHED picks up the new tcp timeout');
  m.onPacket(id, DIR_OUTPUT, FA, 3);
  t.equal(connStateName(m.table, id), 'FIN_WAIT');
  t.equal(m.table.timeoutMs[id], 50_000, 'FIN_WAIT uses tcpfin');
  t.same(m.timeouts.get(), { tcp: 100, tcpfin: 50, udp: 30 });
  m.timeouts.set(0, 0, 0);
  t.same(m.timeouts.get(), { tcp: 100, tcpfin: 50, udp: 30 }, '0 leaves each value unchanged');
  t.throws(() => m.timeouts.set(-1, 0, 0), { code: 'EINVAL', message: 'Invalid argument' });
  t.throws(() => m.timeouts.set(0, 2147484, 0), { code: 'EINVAL', message: 'Invalid argument' });
  t.same(new ConnManager({ capacity: 1 }).timeouts.get(), { tcp: 900, tcpfin: 120, udp: 300 }, 'defaults');
});

t.test('a connection keeps INACTIVE in step with its counters through every state', async (t) => {
  const r = drive(FWD_MASQ, [
    [DIR_INPUT, TCP_SYN],
    [DIR_INPUT, TCP_ACK],
    [DIR_INPUT, FA],
  ]);
  t.ok(r.m.table.flags[r.id]! & CONN_F_INACTIVE);
  r.m.onPacket(r.id, DIR_INPUT, TCP_SYN, r.now + 1); // sCW syn -> sSR: active again
  t.equal(connStateName(r.m.table, r.id), 'SYN_RECV');
  t.notOk(r.m.table.flags[r.id]! & CONN_F_INACTIVE);
  t.same([r.d.activeConns, r.d.inactConns], [1, 0]);
});
