// Connection timers and expiry: ip_vs_conn_put, ip_vs_conn_expire, ip_vs_conn_del and
// ip_vs_conn_expire_now (ip_vs_conn.c), driven by a TimerWheel instead of one kernel timer each.

import type { ConnTable } from './conn-table.ts';
import type { LocalAddrPool } from './port-pool.ts';
import { TimerWheel, type TimerSink } from './timer-wheel.ts';
import { unbindDest } from './bind-dest.ts';
import { CONN_F_LPORT_POOLED, CONN_F_ONE_PACKET, CONN_F_TEMPLATE, CTPL_S_ASSURED } from './conn-flags.ts';

/** ip_vs_conn_expire "expire_later": an entry that still controls others waits 60 s more. */
export const EXPIRE_LATER_MS = 60_000;
/** Default cap on wheel entries visited per expire() call. */
export const DEFAULT_EXPIRE_BUDGET = 1 << 16;

export interface ConnExpiryOptions {
  /** Wheel granularity: a timer fires 0..tickMs late. Default 1000. */
  tickMs?: number;
  /** log2 of the wheel's slot count. Default 10 (1024 slots, 17 minutes at 1 s ticks). */
  slotBits?: number;
  /** Clock at start-up, same timebase as every nowMs passed later. Default 0. */
  startMs?: number;
}

export class ConnExpiry implements TimerSink {
  readonly table: ConnTable;
  readonly wheel: TimerWheel;
  private readonly fnat: LocalAddrPool | null;
  /** Clock of the expire() call in progress (onTimer has no argument for it). */
  private nowMs: number;
  /** Entries freed so far (connections and templates). */
  expiredTotal: number;

  constructor(table: ConnTable, fnat: LocalAddrPool | null = null, opts: ConnExpiryOptions = {}) {
    this.table = table;
    this.fnat = fnat;
    const startMs = opts.startMs ?? 0;
    this.wheel = new TimerWheel(table.capacity, opts.tickMs ?? 1000, opts.slotBits ?? 10, startMs, table.expiresMs);
    this.nowMs = opts.startMs ?? 0;
    this.expiredTotal = 0;
  }

  /**
   * ip_vs_conn_put: after a packet, restart the timer with the entry's current timeout (its
   * state's). A ONE_PACKET connection expires right here instead.
   */
  put(id: number, nowMs: number): void {
    if (this.table.flags[id]! & CONN_F_ONE_PACKET) {
      this.expireConn(id, nowMs);
      return;
    }
    this.wheel.arm(id, nowMs + this.table.timeoutMs[id]!);
  }

  /** Run the timers due by nowMs, at most `budget` wheel entries; returns how many fired. */
  expire(nowMs: number, budget = DEFAULT_EXPIRE_BUDGET): number {
    this.nowMs = nowMs;
    return this.wheel.advance(nowMs, budget, this);
  }

  onTimer(id: number): void {
    this.expireConn(id, this.nowMs);
  }

  /** Remaining time of a live entry's timer (for ipvsadm -Lc), 0 when not armed. */
  remainingMs(id: number, nowMs: number): number {
    if (!this.wheel.isArmed(id)) return 0;
    const r = this.wheel.expiresMs[id]! - nowMs;
    return r > 0 ? r : 0;
  }

  /**
   * ip_vs_conn_expire. An entry that controls live connections (a template with n_control > 0)
   * is re-armed for 60 s, not freed; its timeout stays 60 s from then on, as in the kernel.
   * Otherwise: leave the controlling template (if this was the last explicit deletion of an
   * unassured template's connection, drop the template too), unbind the dest, give back the full
   * NAT port, unhash and free. Returns true when the entry was freed.
   */
  expireConn(id: number, nowMs: number): boolean {
    const t = this.table;
    if (!t.isLive(id)) return false;
    if (t.nControl[id]! > 0) {
      t.timeoutMs[id] = EXPIRE_LATER_MS;
      this.wheel.arm(id, nowMs + EXPIRE_LATER_MS);
      return false;
    }
    this.wheel.disarm(id);
    const ct = t.control[id]!;
    if (ct >= 0) {
      // has_ref = !cp->timeout: only an explicit delete (ip_vs_conn_del) zeroes the timeout.
      const hasRef = t.timeoutMs[id] === 0;
      controlDel(t, id);
      if (
        hasRef &&
        t.nControl[ct] === 0 &&
        ((t.flags[ct]! & CONN_F_TEMPLATE) === 0 || (t.state[ct]! & CTPL_S_ASSURED) === 0)
      ) {
        this.deleteConn(ct, nowMs);
      }
    }
    unbindDest(t, id);
    if ((t.flags[id]! & CONN_F_LPORT_POOLED) !== 0 && this.fnat !== null) {
      this.fnat.release(t.laddr[id]!, t.lport[id]!);
    }
    t.free(id);
    this.expiredTotal++;
    return true;
  }

  /**
   * ip_vs_conn_del: delete an armed entry now (flush, expire_nodest_conn). A connection with a
   * controlling template gets timeout 0 so that the template goes too when unused and unassured.
   */
  deleteConn(id: number, nowMs: number): boolean {
    const t = this.table;
    if (!t.isLive(id) || !this.wheel.isArmed(id)) return false;
    this.wheel.disarm(id);
    if (t.control[id]! >= 0) t.timeoutMs[id] = 0;
    return this.expireConn(id, nowMs);
  }

  /** ip_vs_conn_expire_now: make an armed timer due now; it fires on a following expire(). */
  expireNow(id: number, nowMs: number): void {
    if (this.wheel.isArmed(id) && this.wheel.expiresMs[id]! > nowMs) this.wheel.arm(id, nowMs);
  }
}

/** ip_vs_control_add (include/net/ip_vs.h): cp is controlled by ct (e.g. its template). */
export function controlAdd(t: ConnTable, id: number, ct: number): void {
  if (t.control[id]! >= 0) controlDel(t, id);
  t.control[id] = ct;
  t.nControl[ct] = t.nControl[ct]! + 1;
}

/** ip_vs_control_del (include/net/ip_vs.h). */
export function controlDel(t: ConnTable, id: number): void {
  const ct = t.control[id]!;
  if (ct < 0) return;
  t.control[id] = -1;
  if (t.nControl[ct]! > 0) t.nControl[ct] = t.nControl[ct]! - 1;
}
