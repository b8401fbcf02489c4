// Per-state timeout tables (pd->timeout_table, ip_vs_proto_tcp.c / ip_vs_proto_udp.c) and
// ipvsadm --set tcp tcpfin udp / --timeout (ip_vs_set_timeout / __ip_vs_get_timeouts, ip_vs_ctl.c).

import { TsvsError } from '../lib/errors.ts';
import {
  TCP_DEFAULT_TIMEOUTS_SEC,
  TCP_S_ESTABLISHED,
  TCP_S_FIN_WAIT,
  TCP_S_LAST,
  TCP_STATES,
  TCP_STATES_DOS,
} from './proto-tcp.ts';
import { UDP_DEFAULT_TIMEOUT_SEC } from './proto-udp.ts';

/** The kernel rejects a timeout above INT_MAX / HZ seconds; tsvs uses HZ = 1000 (ms). */
export const MAX_TIMEOUT_SEC = Math.floor(0x7fffffff / 1000);

/** What ipvsadm --timeout prints: "Timeout (tcp tcpfin udp): 900 120 300". */
export interface TimeoutReadback {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** The per-netns timeout tables. One instance is shared by every connection. */
export class Timeouts {
  /** ms per TCP state, indexed by TCP_S_*. */
  readonly tcpMs: Float64Array;
  /** ms for UDP_S_NORMAL. */
  udpMs: number;
  /**
   * pd->tcp_state_table: the TCP transition table in use, TCP_STATES or (secure_tcp engaged)
   * TCP_STATES_DOS. The timeouts stay the same in both: tcp_timeout_change swaps only this.
   */
  tcpStates: Uint8Array;

  constructor() {
    this.tcpMs = new Float64Array(TCP_S_LAST + 1);
    for (let s = 0; s <= TCP_S_LAST; s++) this.tcpMs[s] = TCP_DEFAULT_TIMEOUTS_SEC[s]! * 1000;
    this.udpMs = UDP_DEFAULT_TIMEOUT_SEC * 1000;
    this.tcpStates = TCP_STATES;
  }

  /**
   * tcp_timeout_change (ip_vs_proto_tcp.c), called through ip_vs_protocol_timeout_change by
   * update_defense_level: secure_tcp on selects tcp_states_dos, off tcp_states. Current kernels
   * keep one timeout table (pd->timeout_table) for both, so the "secure" timeouts are the
   * ordinary ones: SYN_RECV 60 s, SYNACK 120 s, as --set left them.
   */
  setSecureTcp(on: boolean): void {
    this.tcpStates = on ? TCP_STATES_DOS : TCP_STATES;
  }

  /** True while the DoS transition table is installed. */
  get secureTcp(): boolean {
    return this.tcpStates === TCP_STATES_DOS;
  }

  /**
   * ipvsadm --set tcp tcpfin udp (seconds). 0 leaves that timeout unchanged. tcp sets
   * ESTABLISHED, tcpfin sets FIN_WAIT, udp sets UDP_S_NORMAL. Takes effect at each connection's
   * next state transition, as in the kernel (existing timers are not touched).
   */
  set(tcpSec: number, tcpfinSec: number, udpSec: number): void {
    for (const v of [tcpSec, tcpfinSec, udpSec]) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_SEC) {
        throw new TsvsError('EINVAL', 'Invalid argument');
      }
    }
    if (tcpSec) this.tcpMs[TCP_S_ESTABLISHED] = tcpSec * 1000;
    if (tcpfinSec) this.tcpMs[TCP_S_FIN_WAIT] = tcpfinSec * 1000;
    if (udpSec) this.udpMs = udpSec * 1000;
  }

  /** __ip_vs_get_timeouts: whole seconds (timeout_table[...] / HZ). */
  get(): TimeoutReadback {
    return {
      tcp: Math.floor(this.tcpMs[TCP_S_ESTABLISHED]! / 1000),
      tcpfin: Math.floor(this.tcpMs[TCP_S_FIN_WAIT]! / 1000),
      udp: Math.floor(this.udpMs / 1000),
    };
  }
}
