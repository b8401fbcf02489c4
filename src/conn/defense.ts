// IPVS's defence strategies against a connection table that runs out: update_defense_level and
// defense_work_handler (ip_vs_ctl.c) and ip_vs_todrop (include/net/ip_vs.h), with the sysctls
// drop_entry, drop_packet, secure_tcp, amemthresh and am_droprate; drop_entry's scan
// (ip_vs_random_dropentry, ip_vs_conn.c) is in drop-entry.ts.
//
// The kernel's trigger is "available memory below amemthresh pages" (si_meminfo: freeram +
// bufferram). A userspace table of fixed capacity has no such thing; what runs out is the table,
// so here available memory = the table's free entries (capacity - count) and amemthresh counts
// entries: nomem = free entries < amemthresh. Everything else follows the kernel line by line.
//
// work() is the defence work: the engine runs it once a second on a timer (DEFENSE_TIMER_PERIOD),
// never per packet. The only per-packet part is todrop(), one compare while drop_packet is idle.

import { TsvsError } from '../lib/errors.ts';
import type { ConnTable } from './conn-table.ts';
import type { ConnExpiry } from './expiry.ts';
import type { Timeouts } from './proto-timeouts.ts';
import { RandomDropEntry } from './drop-entry.ts';

/** DEFENSE_TIMER_PERIOD (1*HZ). */
export const DEFENSE_TIMER_PERIOD_MS = 1000;

/** The five sysctls. drop_entry, drop_packet and secure_tcp: 0 off, 1 auto, 2 engaged, 3 always. */
export interface DefenseSysctls {
  dropEntry: number;
  dropPacket: number;
  secureTcp: number;
  /** Free-entry threshold (the kernel's pages); nomem = free entries < amemthresh. */
  amemthresh: number;
  /** drop_packet at level 3 drops 1 in am_droprate new-connection packets. */
  amDroprate: number;
}

/** ip_vs_control_net_init_sysctl's defaults (amemthresh 1024, am_droprate 10, the rest 0). */
export const DEFAULT_DEFENSE_SYSCTLS: Readonly<DefenseSysctls> = {
  dropEntry: 0,
  dropPacket: 0,
  secureTcp: 0,
  amemthresh: 1024,
  amDroprate: 10,
};

/** proc_do_defense_mode: 0..3, else EINVAL. amemthresh and am_droprate: any non-negative int. */
export function checkDefenseSysctls(s: DefenseSysctls): void {
  for (const v of [s.dropEntry, s.dropPacket, s.secureTcp]) {
    if (!Number.isInteger(v) || v < 0 || v > 3) throw new TsvsError('EINVAL', 'Invalid argument');
  }
  for (const v of [s.amemthresh, s.amDroprate]) {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new TsvsError('EINVAL', 'Invalid argument');
  }
}

/** What tsvsadm --engine shows. */
export interface DefenseStats {
  dropEntry: number;
  dropPacket: number;
  secureTcp: number;
  amemthresh: number;
  amDroprate: number;
  freeEntries: number;
  nomem: boolean;
  dropentryOn: boolean;
  dropRate: number;
  secureTcpOn: boolean;
  packetsDropped: number;
  entriesDropped: number;
  entriesScanned: number;
}

export class ConnDefense {
  /** The sysctls; levels 1 and 2 rewrite themselves as the kernel's do. */
  readonly sysctls: DefenseSysctls;
  /** ipvs->dropentry: ip_vs_random_dropentry runs in the next work(). */
  dropentry: boolean;
  /** ipvs->drop_rate / drop_counter (ip_vs_todrop). */
  dropRate: number;
  dropCounter: number;
  /** ipvs->old_secure_tcp. */
  private oldSecureTcp: number;
  /** Outcome of the last update: free entries and nomem. */
  freeEntries: number;
  nomem: boolean;
  /** New-connection packets dropped by drop_packet. */
  packetsDropped: number;
  /** drop_entry's scan and its counters. */
  readonly dropEntry: RandomDropEntry;

  constructor(
    private readonly t: ConnTable,
    expiry: ConnExpiry,
    private readonly timeouts: Timeouts,
    sysctls: Partial<DefenseSysctls> = {},
    seed = (Math.random() * 0xffffffff) >>> 0,
  ) {
    this.sysctls = { ...DEFAULT_DEFENSE_SYSCTLS, ...sysctls };
    checkDefenseSysctls(this.sysctls);
    this.dropentry = false;
    this.dropRate = 0;
    this.dropCounter = 0;
    this.oldSecureTcp = 0;
    this.freeEntries = t.capacity - t.count;
    this.nomem = false;
    this.packetsDropped = 0;
    this.dropEntry = new RandomDropEntry(t, expiry, seed);
    this.updateLevel(); // the kernel runs it on every write of the three knobs, too
  }

  /** update_defense_level. */
  updateLevel(): void {
    const s = this.sysctls;
    const availmem = this.t.capacity - this.t.count;
    const amemthresh = Math.max(s.amemthresh, 0);
    const nomem = availmem < amemthresh;
    this.freeEntries = availmem;
    this.nomem = nomem;

    switch (s.dropEntry) {
      case 0:
        this.dropentry = false;
        break;
      case 1:
        this.dropentry = nomem;
        if (nomem) s.dropEntry = 2;
        break;
      case 2:
        this.dropentry = nomem;
        if (!nomem) s.dropEntry = 1;
        break;
      case 3:
        this.dropentry = true;
        break;
    }

    switch (s.dropPacket) {
      case 0:
        this.dropRate = 0;
        break;
      case 1:
      case 2:
        if (nomem) {
          // amemthresh / (amemthresh - availmem), C integer division: 1 when the table is full.
          this.dropCounter = Math.floor(amemthresh / (amemthresh - availmem));
          this.dropRate = this.dropCounter;
          s.dropPacket = 2;
        } else {
          this.dropRate = 0;
          if (s.dropPacket === 2) s.dropPacket = 1;
        }
        break;
      case 3:
        this.dropRate = s.amDroprate;
        break;
    }

    let toChange = -1;
    switch (s.secureTcp) {
      case 0:
        if (this.oldSecureTcp >= 2) toChange = 0;
        break;
      case 1:
      case 2:
        if (nomem) {
          if (this.oldSecureTcp < 2) toChange = 1;
          s.secureTcp = 2;
        } else {
          if (this.oldSecureTcp >= 2) toChange = 0;
          s.secureTcp = 1;
        }
        break;
      case 3:
        if (this.oldSecureTcp < 2) toChange = 1;
        break;
    }
    this.oldSecureTcp = s.secureTcp;
    // ip_vs_protocol_timeout_change(ipvs, sysctl_secure_tcp > 1)
    if (toChange >= 0) this.timeouts.setSecureTcp(s.secureTcp > 1);
  }

  /** defense_work_handler: once per DEFENSE_TIMER_PERIOD_MS. */
  work(nowMs: number): void {
    this.updateLevel();
    if (this.dropentry) this.dropEntry.run(nowMs);
  }

  /**
   * ip_vs_todrop: called for a packet about to create a connection (tcp/udp_conn_schedule, after
   * the service lookup). With rate r > 0 it drops 1 packet in r.
   */
  todrop(): boolean {
    if (this.dropRate === 0) return false;
    if (--this.dropCounter > 0) return false;
    this.dropCounter = this.dropRate;
    this.packetsDropped++;
    return true;
  }

  stats(): DefenseStats {
    const s = this.sysctls;
    return {
      dropEntry: s.dropEntry,
      dropPacket: s.dropPacket,
      secureTcp: s.secureTcp,
      amemthresh: s.amemthresh,
      amDroprate: s.amDroprate,
      freeEntries: this.freeEntries,
      nomem: this.nomem,
      dropentryOn: this.dropentry,
      dropRate: this.dropRate,
      secureTcpOn: this.timeouts.secureTcp,
      packetsDropped: this.packetsDropped,
      entriesDropped: this.dropEntry.dropped,
      entriesScanned: this.dropEntry.scanned,
    };
  }
}
