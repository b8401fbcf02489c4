// IPVS TCP state machine: tcp_states, tcp_state_active_table, tcp_timeouts, tcp_state_idx and
// set_tcp_state from net/netfilter/ipvs/ip_vs_proto_tcp.c (Linux >= 4.8, with the sloppy_tcp
// "ack from NONE -> ESTABLISHED" rows), and secure_tcp's tcp_states_dos.

import type { ConnTable } from './conn-table.ts';
import { CONN_F_INACTIVE, CONN_F_NOOUTPUT, CONN_F_TEMPLATE, CTPL_S_ASSURED } from './conn-flags.ts';
import { DIR_INPUT_ONLY, DIR_OUTPUT } from './direction.ts';

/** IP_VS_TCP_S_* (include/net/ip_vs.h). */
export const TCP_S_NONE = 0;
export const TCP_S_ESTABLISHED = 1;
export const TCP_S_SYN_SENT = 2;
export const TCP_S_SYN_RECV = 3;
export const TCP_S_FIN_WAIT = 4;
export const TCP_S_TIME_WAIT = 5;
export const TCP_S_CLOSE = 6;
export const TCP_S_CLOSE_WAIT = 7;
export const TCP_S_LAST_ACK = 8;
export const TCP_S_LISTEN = 9;
export const TCP_S_SYNACK = 10;
export const TCP_S_LAST = 11;

/** TCP header flag bits (byte 13 of the header). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** tcp_state_name_table: the names ipvsadm -Lc prints. */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE',
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'SYNACK',
];

export function tcpStateName(state: number): string {
  return state < TCP_S_LAST ? TCP_STATE_NAMES[state]! : 'ERR!';
}

/** tcp_timeouts[] in seconds (the kernel writes n*HZ); index TCP_S_LAST is the "BUG!" slot. */
export const TCP_DEFAULT_TIMEOUTS_SEC: readonly number[] = [
  2,
  15 * 60,
  2 * 60,
  1 * 60,
  2 * 60,
  2 * 60,
  10,
  60,
  30,
  2 * 60,
  120,
  2,
];

/**
 * tcp_state_active_table: states counted in dest->activeconns. Since "ipvs: count pre-established
 * TCP states as active" (Linux 4.8) that is SYN_SENT, SYN_RECV and SYNACK as well as ESTABLISHED.
 */
export const TCP_STATE_ACTIVE: Uint8Array = Uint8Array.of(0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1);

const sES = TCP_S_ESTABLISHED,
  sSS = TCP_S_SYN_SENT,
  sSR = TCP_S_SYN_RECV;
const sFW = TCP_S_FIN_WAIT,
  sTW = TCP_S_TIME_WAIT,
  sCL = TCP_S_CLOSE,
  sCW = TCP_S_CLOSE_WAIT;
const sLA = TCP_S_LAST_ACK,
  sLI = TCP_S_LISTEN,
  sSA = TCP_S_SYNACK;

/**
 * tcp_states[]: 12 rows (direction offset 0/4/8 + flag index syn/fin/ack/rst) x 11 current
 * states, flattened. next = TCP_STATES[(off + idx) * TCP_S_LAST + state].
 */
// prettier-ignore
export const TCP_STATES: Uint8Array = Uint8Array.of(
  /*        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
  /* INPUT */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  /*fin*/ sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR,
  /* OUTPUT */
  /*syn*/ sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR,
  /*fin*/ sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES,
  /*rst*/ sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL,
  /* INPUT-ONLY */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  /*fin*/ sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
);

/**
 * tcp_states_dos[]: the table tcp_timeout_change installs while secure_tcp is at level 2 or 3
 * (update_defense_level, ip_vs_ctl.c). Same layout as TCP_STATES. It differs in 15 cells: a
 * client ACK no longer completes SYN_RECV (IN ack sSR -> sSR), so a NAT connection becomes
 * ESTABLISHED only when the real server answers (sSR -> OUT syn -> sSA -> OUT ack -> sES); a
 * SYNACK entry ignores the client's SYN, FIN and ACK; DR/TUN SYNs (INPUT-ONLY) go to sSA.
 */
// prettier-ignore
export const TCP_STATES_DOS: Uint8Array = Uint8Array.of(
  /*        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
  /* INPUT */
  /*syn*/ sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSA,
  /*fin*/ sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sSA,
  /*ack*/ sES, sES, sSS, sSR, sFW, sTW, sCL, sCW, sCL, sLI, sSA,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
  /* OUTPUT */
  /*syn*/ sSS, sES, sSS, sSA, sSS, sSS, sSS, sSS, sSS, sLI, sSA,
  /*fin*/ sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES,
  /*rst*/ sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL,
  /* INPUT-ONLY */
  /*syn*/ sSA, sES, sES, sSR, sSA, sSA, sSA, sSA, sSA, sSA, sSA,
  /*fin*/ sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW,
  /*ack*/ sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  /*rst*/ sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
);

/**
 * Embryonic TCP states: a connection that has not reached ESTABLISHED since its SYN (NONE,
 * SYN_SENT, SYN_RECV, SYNACK). These are what a SYN flood leaves behind; the embryonic quota
 * (src/conn/embryonic-list.ts) bounds how many of them the table holds.
 */
export const TCP_STATE_EMBRYONIC: Uint8Array = Uint8Array.of(1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1);

/** tcp_state_off[]: row offset per IP_VS_DIR_*. */
const TCP_DIR_INPUT = 0;
const TCP_DIR_OUTPUT = 4;
const TCP_DIR_INPUT_ONLY = 8;

/** tcp_state_idx: flag priority rst > syn > fin > ack; -1 when none is set. */
export function tcpStateIdx(tcpFlags: number): number {
  if (tcpFlags & TCP_RST) return 3;
  if (tcpFlags & TCP_SYN) return 0;
  if (tcpFlags & TCP_FIN) return 1;
  if (tcpFlags & TCP_ACK) return 2;
  return -1;
}

/**
 * set_tcp_state: move connection `id` to its next state for a packet with `tcpFlags` seen in
 * `direction` (DIR_INPUT from the client, DIR_OUTPUT from the real server) by the transition
 * table in use (timeouts.tcpStates), keep the dest's active/inactive counters in step
 * (IP_VS_CONN_F_INACTIVE), notify the scheduler, keep the embryonic list in step, and set the
 * connection's timeout from the current table. The caller then re-arms (ConnExpiry.put).
 */
export function tcpStateTransition(
  t: ConnTable,
  id: number,
  direction: number,
  tcpFlags: number,
  timeouts: { readonly tcpMs: Float64Array; readonly tcpStates: Uint8Array },
): void {
  let off =
    direction === DIR_OUTPUT ? TCP_DIR_OUTPUT : direction === DIR_INPUT_ONLY ? TCP_DIR_INPUT_ONLY : TCP_DIR_INPUT;
  let flags = t.flags[id]!;
  // "Update state offset to INPUT_ONLY if necessary or delete NO_OUTPUT flag if output packet detected"
  if (flags & CONN_F_NOOUTPUT) {
    if (off === TCP_DIR_OUTPUT) {
      flags &= ~CONN_F_NOOUTPUT;
      t.flags[id] = flags;
    } else {
      off = TCP_DIR_INPUT_ONLY;
    }
  }
  const old = t.state[id]!;
  const idx = tcpStateIdx(tcpFlags);
  // pd->tcp_state_table: TCP_STATES, or TCP_STATES_DOS while secure_tcp is engaged.
  const next = idx < 0 ? TCP_S_CLOSE : timeouts.tcpStates[(off + idx) * TCP_S_LAST + old]!;
  if (next !== old) {
    const emb = t.embryonic;
    if (emb.enabled && TCP_STATE_EMBRYONIC[old] !== TCP_STATE_EMBRYONIC[next]) {
      if (TCP_STATE_EMBRYONIC[next] === 1) emb.link(id);
      else emb.unlink(id);
    }
    const dest = t.dest[id];
    if (dest !== null && dest !== undefined) {
      const active = TCP_STATE_ACTIVE[next] === 1;
      if ((flags & CONN_F_INACTIVE) === 0 && !active) {
        dest.activeConns--;
        dest.inactConns++;
        t.flags[id] = flags | CONN_F_INACTIVE;
        const svc = t.svc[id]!;
        svc.sched.loadChanged(svc, dest);
      } else if ((flags & CONN_F_INACTIVE) !== 0 && active) {
        dest.activeConns++;
        dest.inactConns--;
        t.flags[id] = flags & ~CONN_F_INACTIVE;
        const svc = t.svc[id]!;
        svc.sched.loadChanged(svc, dest);
      }
    }
    if (next === TCP_S_ESTABLISHED) controlAssure(t, id);
  }
  t.state[id] = next;
  t.timeoutMs[id] = timeouts.tcpMs[next]!;
}

/** ip_vs_control_assure_ct (include/net/ip_vs.h): mark the controlling template ASSURED. */
export function controlAssure(t: ConnTable, id: number): void {
  const ct = t.control[id]!;
  if (ct >= 0 && (t.flags[ct]! & CONN_F_TEMPLATE) !== 0) t.state[ct] = t.state[ct]! | CTPL_S_ASSURED;
}
