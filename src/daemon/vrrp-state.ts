// vrrp-state: tsvsd's side of keepalived's VRRP (keepalived/vrrp/vrrp_notify.c calls our notify
// scripts). keepalived elects the MASTER director and moves the kernel addresses (the DIP);
// the addresses tsvsd owns in userspace (VIPs, full-NAT addresses) cannot be in keepalived's
// virtual_ipaddress, since the kernel would then own them and reset every connection to them.
// So keepalived's notifications (notify_master / notify_backup / notify_fault / notify_stop, or
// in order through vrrp_notify_fifo) run `tsvsadm --vrrp-state master|backup|fault|stop`, and
// this op makes the engine answer for its owned addresses (MASTER: ARP, ping, connections, and a
// gratuitous ARP at once, as keepalived's vrrp_state_become_master() announces its VIPs) or hold
// them silent (BACKUP, FAULT, STOP: a kernel director whose VIPs keepalived removed answers
// nothing for them).
//
//   control op vrrp.state {}                  -> the current state
//   control op vrrp.state {state: "master"}   -> set it; the reply is the new state
//
// The state tsvsd starts in is `[engine] vrrp-state backup|master` (no key: MASTER, standalone),
// or, after `tsvsd --takeover`, the state the handing-over tsvsd had (HandedVrrp): keepalived
// writes a line to the notify FIFO only when its state changes, so a successor that started from
// the config's `backup` on a MASTER director would hold the VIP silent until the next failover.

import type { Logger } from '../lib/logger.ts';
import { TsvsError } from '../lib/errors.ts';
import type { Engine } from '../datapath/engine.ts';
import { ipToString } from '../lib/inet.ts';
import { formatInet6 } from '../lib/inet6.ts';
import type { OwnedAddrs } from '../datapath/owned-addrs.ts';
import type { TsvsDaemon } from './daemon.ts';

/** keepalived's instance states as its notify scripts name them (vrrp_notify.c). */
export const VRRP_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

export interface VrrpStateInfo {
  /** MASTER, BACKUP, FAULT or STOP; MASTER when no vrrp-state was configured nor set. */
  readonly state: VrrpState;
  /** Whether keepalived (or the config's vrrp-state) ever set it: false = standalone director. */
  readonly managed: boolean;
  /** The owned addresses, and whether tsvsd answers for them now. */
  readonly addresses: readonly string[];
  readonly answering: boolean;
  /** Epoch ms of the last change, and how many changes since start. */
  readonly sinceMs: number;
  readonly transitions: number;
  readonly previous: VrrpState | null;
}

/** A state word from the command line or a notify script, in any case; null if unknown. */
export function parseVrrpState(word: string): VrrpState | null {
  const up = word.toUpperCase();
  return (VRRP_STATES as readonly string[]).includes(up) ? (up as VrrpState) : null;
}

/** What a handing-over tsvsd passes on of its VRRP state (src/daemon/handover.ts). */
export interface HandedVrrp {
  readonly state: VrrpState;
  readonly managed: boolean;
  readonly sinceMs: number;
}

export function isHandedVrrp(v: unknown): v is HandedVrrp {
  const h = v as Partial<HandedVrrp> | null;
  return (
    typeof h === 'object' &&
    h !== null &&
    typeof h.state === 'string' &&
    (VRRP_STATES as readonly string[]).includes(h.state) &&
    typeof h.managed === 'boolean' &&
    typeof h.sinceMs === 'number'
  );
}

/**
 * The `vrrpState` the engine is built with: the handed-over state when there is one (MASTER
 * answers from the first frame, anything else starts silent), else the config's.
 */
export function engineVrrpStart(
  configured: 'master' | 'backup' | undefined,
  handed: HandedVrrp | null | undefined,
): 'master' | 'backup' | undefined {
  if (handed === null || handed === undefined || !handed.managed) return configured;
  return handed.state === 'MASTER' ? 'master' : 'backup';
}

/** What the VRRP state drives: one engine (engineVrrpTarget) or the workers (workers-ops.ts). */
export interface VrrpTarget {
  /** The owned addresses, dotted. */
  addresses(): string[];
  /** Whether the data path answers for them now. */
  answering(): boolean;
  /** Hold them silent (true) or answer for them, announcing them on the way to answering. */
  setStandby(standby: boolean): void;
}

/** The owned addresses of both families, as --vrrp-state lists them. */
export function ownedAddressNames(owned: OwnedAddrs): string[] {
  return [...owned.entries().map(([a]) => ipToString(a)), ...owned.entries6().map(([a]) => formatInet6(a))];
}

export function engineVrrpTarget(engine: Engine): VrrpTarget {
  return {
    addresses: () => ownedAddressNames(engine.owned),
    answering: () => !engine.owned.standby,
    setStandby: (standby) => engine.setStandby(standby),
  };
}

export class VrrpStateKeeper {
  private state: VrrpState;
  private managed: boolean;
  private sinceMs = Date.now();
  private transitions = 0;
  private previous: VrrpState | null = null;

  /** The engine(s) must have been built with engineVrrpStart(start, handed) as their vrrpState. */
  constructor(
    private readonly target: VrrpTarget,
    private readonly log: Logger,
    start: 'master' | 'backup' | undefined,
    handed: HandedVrrp | null = null,
  ) {
    this.state = start === 'backup' ? 'BACKUP' : 'MASTER';
    this.managed = start !== undefined;
    if (handed !== null && handed.managed) {
      this.state = handed.state;
      this.managed = true;
      this.sinceMs = handed.sinceMs;
      log.info(`vrrp state ${handed.state} carried over from the handing-over tsvsd`, {
        answering: target.answering(),
      });
    }
  }

  /** What a handover passes on to the next tsvsd. */
  handed(): HandedVrrp {
    return { state: this.state, managed: this.managed, sinceMs: this.sinceMs };
  }

  info(): VrrpStateInfo {
    return {
      state: this.state,
      managed: this.managed,
      addresses: this.target.addresses(),
      answering: this.target.answering(),
      sinceMs: this.sinceMs,
      transitions: this.transitions,
      previous: this.previous,
    };
  }

  set(next: VrrpState): VrrpStateInfo {
    this.managed = true;
    if (next === this.state) return this.info();
    this.previous = this.state;
    this.state = next;
    this.sinceMs = Date.now();
    this.transitions++;
    this.target.setStandby(next !== 'MASTER');
    const addresses = this.target.addresses().join(',');
    if (next === 'MASTER')
      this.log.info('vrrp state MASTER: answering for the owned addresses, gratuitous ARP sent', {
        was: this.previous,
        addresses,
      });
    else this.log.info(`vrrp state ${next}: owned addresses held silent`, { was: this.previous, addresses });
    return this.info();
  }
}

/** Serve the vrrp.state op for a running engine. */
export function addVrrpStateOp(
  daemon: Pick<TsvsDaemon, 'addOp'>,
  target: VrrpTarget,
  log: Logger,
  start?: 'master' | 'backup',
  handed: HandedVrrp | null = null,
): VrrpStateKeeper {
  const keeper = new VrrpStateKeeper(target, log, start, handed);
  daemon.addOp('vrrp.state', (args) => {
    const want = args['state'];
    if (want === undefined) return keeper.info();
    const s = typeof want === 'string' ? parseVrrpState(want) : null;
    if (s === null)
      throw new TsvsError('EBADREQ', `vrrp state must be master, backup, fault or stop, not ${JSON.stringify(want)}`);
    return keeper.set(s);
  });
  return keeper;
}
