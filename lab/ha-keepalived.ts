// ha-keepalived: the keepalived.conf of each director of the HA lab, the real keepalived's VRRP
// (keepalived.conf(5), "VRRP CONFIGURATION"; keepalived/vrrp/vrrp_parser.c). One vrrp_instance
// per director, the same on both but for the priority:
//
//   - state BACKUP on both, priority 254 (lvs1) and 253 (lvs2): the priorities elect lvs1, and
//     lvs2's priority sets the skew of its master down timer (masterDownIntervalMs below): the
//     closer to 256, the sooner it takes over from a dead lvs1.
//   - interface eth1: the adverts (IP protocol 112 to 224.0.0.18) go over the real-server side,
//     where both directors have an address of their own; track_interface eth0 puts the instance
//     in FAULT when the client side fails, so the VIP moves with it.
//   - virtual_ipaddress: the DIP, the real servers' gateway, a kernel address that keepalived adds
//     and removes itself (and announces with its own gratuitous ARP).
//   - the VIP is tsvsd's, in userspace: it cannot be a keepalived virtual_ipaddress (the kernel
//     would own it and answer every connection to it with a reset), so tsvsd follows the instance's
//     state (src/daemon/vrrp-state.ts). VIP and DIP move together: both follow this one instance.
//   - the state changes reach tsvsd through notify_fifo: keepalived writes one line per change
//     (`INSTANCE "VI_1" MASTER 150`) to a FIFO that tsvsd reads itself (`vrrp-notify-fifo` in
//     tsvsd.conf, src/daemon/vrrp-fifo.ts), in order and without starting a process: a takeover
//     costs tsvsd well under a millisecond after keepalived's decision, where a notify script
//     running `tsvsadm --vrrp-state master` costs a shell and a Node start (0.3-0.7 s on a loaded
//     box). notify_master/notify_backup/... are also no fit: keepalived forks each without waiting
//     (vrrp_notify.c), so with sub-second adverts a BACKUP (init) -> MASTER pair of scripts can
//     finish in the wrong order and leave tsvsd silent on the MASTER.
//   - the same lines also go to vrrp_notify_fifo, whose reader script switches the sync daemons
//     (MASTER: master daemon, BACKUP: backup daemon) and logs the states for the lab.
//   - lvs_sync_daemon is left out: keepalived starts IPVS's sync daemon through the kernel's
//     netlink, which tsvs does not have; the notify script runs `tsvsadm --start-daemon` instead.

/** The VRRP router id, which keepalived also takes as the sync daemon's syncid by default. */
export const VRID = 51;
export const SYNC_ID = VRID;
/** The notify FIFO tsvsd reads, a file name beside each director's control socket. */
export const VRRP_FIFO = 'vrrp.fifo';

export interface VrrpOptions {
  /** Seconds between adverts (keepalived's advert_int): 1 by default, fractions with VRRPv3. */
  readonly advertInt?: number;
  /** VRRP version 2 (the default) or 3 (sub-second advert_int). */
  readonly version?: 2 | 3;
  /** Seconds a restarted higher-priority director waits before it preempts (preempt_delay). */
  readonly preemptDelaySec?: number;
  /** nopreempt: a returning lvs1 stays BACKUP. */
  readonly noPreempt?: boolean;
}

/**
 * lvs1 is the preferred MASTER (254), lvs2 the BACKUP (253). 255 is reserved for the address
 * owner (keepalived.conf(5): it takes over at once and no track_script can lower it), which
 * neither director is. One point apart is enough to elect: the lab has no weighted track_script
 * whose weight the gap must exceed (keepalived.conf(5)'s "50 more" advice is for those), and
 * every point lvs2 sits below 256 adds 1/256 advert_int to each takeover.
 */
export function priorityOf(name: 'lvs1' | 'lvs2'): number {
  return name === 'lvs1' ? 254 : 253;
}

/**
 * How long a BACKUP of this priority waits after the last advert it heard before it declares
 * itself MASTER: keepalived's VRRP_MS_DOWN_TIMER, down_timer_adverts (3, the RFCs' value) x
 * master_adver_int + VRRP_TIMER_SKEW (keepalived/include/vrrp.h). The skew is (256 - priority)
 * / 256 s for VRRPv2 (RFC 3768, 6.1) and (256 - priority) x master_adver_int / 256 for VRRPv3
 * (RFC 5798, 6.1). The kill lands somewhere in the advert interval, so the takeover comes
 * between this minus advert_int and this after it.
 */
export function masterDownIntervalMs(priority: number, advertIntSec: number, version: 2 | 3): number {
  const advertMs = advertIntSec * 1000;
  const skewMs = version === 3 ? ((256 - priority) * advertMs) / 256 : ((256 - priority) * 1000) / 256;
  return 3 * advertMs + skewMs;
}

export function keepalivedConf(
  name: 'lvs1' | 'lvs2',
  fifo: { tsvsd: string; fifo: string; reader: string },
  o: VrrpOptions,
): string {
  // Both start as BACKUP and the priorities elect lvs1: keepalived clears preempt_delay (and
  // refuses nopreempt) on an instance whose initial state is MASTER ("preempt delay will not work
  // with initial state MASTER - clearing", vrrp_parser.c / vrrp.c).
  const state = 'BACKUP';
  const advert = o.advertInt ?? 1;
  const lines = (s: string | false): string => (s === false ? '' : `${s}\n`);
  return `# keepalived for ${name} of the tsvs HA lab (written by lab/ha-keepalived.ts)
global_defs {
    router_id ${name}
    script_user root
    notify_fifo ${fifo.tsvsd}
    vrrp_notify_fifo ${fifo.fifo}
    vrrp_notify_fifo_script ${fifo.reader}
${lines(o.version === 3 && '    vrrp_version 3')}}

vrrp_instance VI_1 {
    state ${state}
    interface eth1
    virtual_router_id ${VRID}
    priority ${priorityOf(name)}
    advert_int ${advert}
${lines(o.noPreempt === true && '    nopreempt')}${lines(o.preemptDelaySec !== undefined && o.noPreempt !== true && `    preempt_delay ${o.preemptDelaySec}`)}    track_interface {
        eth0
    }
    virtual_ipaddress {
        192.168.99.5/24 dev eth1
    }
}
`;
}
