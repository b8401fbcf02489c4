// SynproxyAuto: when the SYN proxy's automatic mode answers a service's SYNs with cookies, like
// tcp_syncookies=1 (tcp_syn_flood_action() in net/ipv4/tcp_input.c engages on an overflowing SYN
// queue): engaged while the service's (or the table's) embryonic entries stand a threshold above
// their floor, disengaged once a one-second window's cookies are mostly answered. SynproxyOpen
// (synproxy-open.ts) and SynProxy (synproxy.ts) build on it; the state per service is
// Service.synproxy (src/model/synproxy-state.ts).

import type { Service } from '../model/service.ts';
import { SVC_F_SYNPROXY_ALWAYS, SVC_F_SYNPROXY_NEVER } from '../model/synproxy-state.ts';
import type { ConnManager } from '../conn/conn-manager.ts';

const AUTO_WINDOW_MS = 1000;

export interface SynproxyOptions {
  /** Embryonic entries of one service above its floor that engage the automatic mode. */
  svcThreshold?: number;
  /** Embryonic entries of the whole table above its floor that engage it for every auto service. */
  globalThreshold?: number;
  /** The MSS the director announces to clients (the VIP side's MTU - 40, or - 60 for IPv6). */
  mss?: number;
  /** The window scale the director announces to clients (Linux's for a 6 MiB tcp_rmem: 7). */
  wscale?: number;
  /** Fixed cookie keys, for golden tests. */
  cookieKey?: Uint32Array;
}

/**
 * The proxy's counters, one instance shared by the IPv4 and the IPv6 proxy (as the kernel's
 * LINUX_MIB_SYNCOOKIES* count both families): the totals tsvsadm --engine and the metrics show.
 */
export class SynproxyCounters {
  cookiesSent = 0;
  cookiesValidated = 0;
  cookiesFailed = 0;
  /** Client segments kept while the real server's SYN-ACK was awaited. */
  segmentsKept = 0;
  /** Services whose automatic mode engaged / disengaged. */
  engagements = 0;
  disengagements = 0;
}

export class SynproxyAuto {
  svcThreshold: number;
  globalThreshold: number;
  private globalFloor = 0;
  /** Services in auto mode that are engaged now. */
  private readonly engaged: Service[] = [];

  constructor(
    protected readonly conns: ConnManager,
    opts: SynproxyOptions,
    readonly n: SynproxyCounters,
  ) {
    this.svcThreshold = opts.svcThreshold ?? 256;
    this.globalThreshold = opts.globalThreshold ?? 1024;
  }

  get engagements(): number {
    return this.n.engagements;
  }

  get disengagements(): number {
    return this.n.disengagements;
  }

  /** Whether the service's SYNs get cookies now (auto: engage / disengage, see synproxy-state.ts). */
  active(svc: Service, nowMs: number): boolean {
    const flags = svc.flags;
    if (flags & SVC_F_SYNPROXY_ALWAYS) return true;
    if (flags & SVC_F_SYNPROXY_NEVER) return false;
    const st = svc.synproxy;
    if (st.engaged && this.stillEngaged(svc, nowMs)) return true;
    const global = this.conns.table.embryonic.count;
    if (svc.embryonic < st.floor) st.floor = svc.embryonic;
    if (global < this.globalFloor) this.globalFloor = global;
    if (svc.embryonic - st.floor < this.svcThreshold && global - this.globalFloor < this.globalThreshold) return false;
    st.engaged = true;
    st.windowStartMs = nowMs;
    st.windowCookies = 0;
    st.windowValidated = 0;
    this.n.engagements++;
    this.engaged.push(svc); // once per engagement, not per packet
    return true;
  }

  /**
   * An engaged service at the end of each one-second window: it stays engaged while at least
   * svcThreshold of the window's cookies went unanswered, else it disengages and its floors move
   * to the entries the flood left behind.
   */
  private stillEngaged(svc: Service, nowMs: number): boolean {
    const st = svc.synproxy;
    if (nowMs - st.windowStartMs < AUTO_WINDOW_MS) return true;
    if (st.windowCookies - st.windowValidated >= this.svcThreshold) {
      st.windowStartMs = nowMs;
      st.windowCookies = 0;
      st.windowValidated = 0;
      return true;
    }
    st.engaged = false;
    st.floor = svc.embryonic;
    this.globalFloor = this.conns.table.embryonic.count;
    this.n.disengagements++;
    const i = this.engaged.indexOf(svc);
    if (i >= 0) this.engaged.splice(i, 1);
    return false;
  }

  /** Once a second (the engine's defence timer): end the engagement of services whose flood stopped. */
  tick(nowMs: number): void {
    for (let i = this.engaged.length - 1; i >= 0; i--) {
      const svc = this.engaged[i]!;
      if (svc.synproxy.engaged) this.stillEngaged(svc, nowMs);
    }
  }
}
