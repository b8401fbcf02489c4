// A service's SYN proxy: its mode (a tsvs extension outside ipvsadm's grid, kept in tsvs's own
// service flag bits) and the runtime state of the automatic mode, which engages like Linux's
// tcp_syncookies=1 (tcp_syn_flood_action() in net/ipv4/tcp_input.c: cookies only while the SYN
// backlog overflows) and disengages when the flood ends. The data plane drives it
// (src/datapath/synproxy.ts); nothing here runs per established packet.

/** --synproxy always: every SYN is answered with a cookie by the director (tsvs bit, above the kernel's 16). */
export const SVC_F_SYNPROXY_ALWAYS = 0x10000;
/** --synproxy never: IPVS's plain flow even under a flood (the embryonic quota still applies). */
export const SVC_F_SYNPROXY_NEVER = 0x20000;
export const SVC_F_SYNPROXY_MASK = SVC_F_SYNPROXY_ALWAYS | SVC_F_SYNPROXY_NEVER;

export const SYNPROXY_MODES = ['auto', 'always', 'never'] as const;
export type SynproxyMode = (typeof SYNPROXY_MODES)[number];

/** The mode a service's flags select. */
export function synproxyModeOf(flags: number): SynproxyMode {
  if (flags & SVC_F_SYNPROXY_ALWAYS) return 'always';
  if (flags & SVC_F_SYNPROXY_NEVER) return 'never';
  return 'auto';
}

/** The flag bits of a mode name, or -1 for an unknown name. */
export function synproxyFlagsOf(mode: string): number {
  if (mode === 'always') return SVC_F_SYNPROXY_ALWAYS;
  if (mode === 'never') return SVC_F_SYNPROXY_NEVER;
  if (mode === 'auto') return 0;
  return -1;
}

/**
 * The automatic mode's state. Engaged while the service's embryonic entries (or the table's)
 * stand `threshold` above the lowest count seen since it last disengaged (`floor`: entries a
 * past flood left behind wait out their SYN_RECV timeout and must not keep it engaged), and
 * disengaged after a one-second window in which fewer than `threshold` cookies went unanswered.
 */
export class SynproxySvcState {
  engaged: boolean;
  floor: number;
  windowStartMs: number;
  windowCookies: number;
  windowValidated: number;
  /** When the last cookie was sent: ACKs are checked as cookies for two minutes after it (MAX_SYNCOOKIE_AGE). */
  lastCookieMs: number;

  constructor() {
    this.engaged = false;
    this.floor = 0;
    this.windowStartMs = 0;
    this.windowCookies = 0;
    this.windowValidated = 0;
    this.lastCookieMs = -1;
  }
}
