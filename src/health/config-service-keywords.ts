// config-service-keywords: the keywords of a virtual_server block that set the service itself
// (keepalived check/check_parser.c: lvs_sched, lvs_method, protocol, persistence_*, quorum,
// sorry_server, sh-port ...), and validate_check_config's service checks (check_data.c).

import type { Stmt } from './config-lexer.ts';
import type { Ctx } from './config-values.ts';
import type { Inherited } from './config-inherited.ts';
import type { Member } from './config-group.ts';
import { hostPort } from './config-real-server.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { Inet6 } from '../lib/inet6.ts';

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'];
const PROTOCOLS: Record<string, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };

/** A virtual_server's own settings while its block is read, before its real servers are. */
export interface ServiceKeywords {
  readonly addr: number;
  addr6?: Inet6;
  readonly port: number;
  readonly fwmark: number;
  protocol: number;
  /** Whether the block said `protocol` (validate_check_config defaults it to UDP otherwise). */
  protocolSet: boolean;
  sched: string;
  method: 'NAT' | 'DR' | 'TUN';
  persistenceTimeoutSec: number;
  persistenceGranularity: number;
  ops: boolean;
  quorum: number;
  hysteresis: number;
  quorumUp?: readonly string[];
  quorumDown?: readonly string[];
  schedFlags: number;
  /** inhibit_on_failure: the default of the real servers. */
  inhibit: boolean;
  /** weight: the default weight of the real servers (check_data.c: rs->effective_weight = vs->weight). */
  rsWeight: number;
  sorry?: { readonly addr: number; readonly addr6?: Inet6; readonly port: number };
  sorryInhibit: boolean;
  sorryMethod?: 'NAT' | 'DR' | 'TUN';
  /** The checker settings the real servers inherit (delay_loop, connect_timeout, virtualhost ...). */
  readonly inh: Inherited;
}

/** keepalived's defaults for a virtual_server of member m (check_parser.c vs_handler, alloc_vs). */
export function serviceDefaults(m: Member): ServiceKeywords {
  return {
    addr: m.addr,
    ...(m.addr6 !== undefined ? { addr6: m.addr6 } : {}),
    port: m.port,
    fwmark: m.fwmark,
    protocol: IPPROTO_TCP,
    protocolSet: false,
    sched: 'wlc',
    method: 'NAT',
    persistenceTimeoutSec: 0,
    persistenceGranularity: 0xffffffff,
    ops: false,
    quorum: 1,
    hysteresis: 0,
    schedFlags: 0,
    inhibit: false,
    rsWeight: 1,
    sorryInhibit: false,
    inh: {},
  };
}

/**
 * Read one service keyword of a virtual_server block into k; false for a keyword keepalived does
 * not know, which is warned about and its block skipped (lib/parser.c).
 */
export function readServiceKeyword(ctx: Ctx, s: Stmt, k: ServiceKeywords): boolean {
  switch (s.key) {
    case 'lvs_sched':
    case 'lb_algo': {
      const name = ctx.arg(s, 0, 'a scheduler');
      if (!SCHEDULERS.includes(name)) ctx.fail(s, `${s.key}: unknown scheduler '${name}'`);
      k.sched = name;
      break;
    }
    case 'lvs_method':
    case 'lb_kind':
      k.method = ctx.method(s);
      break;
    case 'protocol': {
      const p = PROTOCOLS[ctx.arg(s, 0, 'TCP, UDP or SCTP').toUpperCase()];
      if (p === undefined) ctx.fail(s, `protocol: '${s.args[0]?.text ?? ''}' is not TCP, UDP or SCTP`);
      k.protocol = p;
      k.protocolSet = true;
      break;
    }
    case 'persistence_timeout':
      // pto_handler: no value is IPVS_SVC_PERSISTENT_TIMEOUT (360); 0 is outside 1..LVS_MAX_TIMEOUT
      // and only warned about, leaving the service not persistent.
      if (s.args.length === 0) k.persistenceTimeoutSec = 360;
      else if (s.args[0]?.text === '0') ctx.warn(s, 'persistence_timeout invalid');
      else k.persistenceTimeoutSec = ctx.int(s, 1, 0x7fffffff);
      break;
    case 'persistence_granularity':
      // An IPv6 service's granularity is a prefix length (ipvsadm -M for IPv6).
      k.persistenceGranularity = k.addr6 !== undefined ? ctx.int(s, 1, 128) : ctx.ipv4(s, 0);
      break;
    case 'ops':
      k.ops = true;
      break;
    case 'ip_family':
      // ip_family_handler: inet6 makes a fwmark service IPv6; for an address service the
      // family must be the address's (check_parser.c: "ip_family doesn't match").
      {
        const fam = ctx.arg(s, 0, 'inet or inet6');
        if (fam !== 'inet' && fam !== 'inet6') ctx.warn(s, `unknown address family ${fam}`);
        else if (k.fwmark !== 0) {
          if (fam === 'inet6') k.addr6 = new Uint32Array(4);
          else delete k.addr6;
        } else if ((fam === 'inet6') !== (k.addr6 !== undefined))
          ctx.fail(s, `ip_family ${fam} doesn't match the virtual server's address family`);
      }
      break;
    case 'inhibit_on_failure':
      k.inhibit = ctx.bool(s);
      break;
    case 'quorum':
      k.quorum = ctx.int(s, 1, 0xffffffff);
      break;
    case 'hysteresis':
      k.hysteresis = ctx.int(s, 0, 0xffffffff);
      break;
    case 'quorum_up':
      k.quorumUp = ctx.script(s);
      break;
    case 'quorum_down':
      k.quorumDown = ctx.script(s);
      break;
    case 'weight':
      // vs_weight_handler: the default weight of the real servers (check_data.c: rs->effective_weight = vs->weight).
      k.rsWeight = ctx.int(s, 1, 65535);
      break;
    case 'sorry_server':
      {
        const a = ctx.inet(s, 0);
        if ((a.addr6 !== undefined) !== (k.addr6 !== undefined)) {
          ctx.warn(
            s,
            `Address family of virtual server and sorry server ${s.args[0]?.text ?? ''} don't match - skipping sorry server.`,
          );
          break;
        }
        k.sorry = { ...a, port: s.args.length > 1 ? ctx.int(s, 0, 65535, 1) : k.port };
      }
      break;
    case 'sorry_server_inhibit':
      k.sorryInhibit = ctx.bool(s);
      break;
    case 'sorry_server_lvs_method':
      k.sorryMethod = ctx.method(s);
      break;
    case 'virtualhost':
      k.inh.virtualhost = ctx.arg(s, 0, 'a host name');
      break;
    case 'sh-port':
    case 'sh-fallback':
    case 'mh-port':
    case 'mh-fallback':
      // lbflags_handler: the flag is set only for its scheduler, else "only applies to sh scheduler - ignoring".
      // ip_vs.h: IP_VS_SVC_F_SCHED_SH_FALLBACK = SCHED1, _SH_PORT = SCHED2 (the same bits for mh).
      if (k.sched === s.key.slice(0, 2)) k.schedFlags |= s.key.endsWith('port') ? SVC_F_SCHED2 : SVC_F_SCHED1;
      else ctx.warn(s, `${s.key} only applies to sh scheduler - ignoring`);
      break;
    case 'flag-1':
    case 'flag-2':
    case 'flag-3':
      k.schedFlags |= s.key === 'flag-1' ? SVC_F_SCHED1 : s.key === 'flag-2' ? SVC_F_SCHED2 : SVC_F_SCHED3;
      break;
    case 'omega':
    case 'ha_suspend':
    case 'smtp_alert':
    case 'snmp_name':
    case 'persistence_engine':
    case 'hashed':
      ctx.ignored(s);
      break;
    default:
      ctx.warn(s, `Unknown keyword '${s.key}'`); // lib/parser.c: warned, its block skipped
      return false;
  }
  return true;
}

/**
 * check_data.c validate_check_config's service checks, each a warning there and here, with the
 * same correction: a service without `protocol` becomes UDP (the kernel's default for 0).
 */
export function serviceChecks(ctx: Ctx, st: Stmt, vs: ServiceKeywords): void {
  const name = vs.fwmark !== 0 ? `FWM ${vs.fwmark}` : hostPort(vs, vs.port);
  if (vs.fwmark !== 0) {
    if (vs.protocolSet)
      ctx.warn(st, `Warning: Virtual server ${name}: protocol specified for fwmark - protocol will be ignored`);
    return;
  }
  if (!vs.protocolSet) {
    ctx.warn(st, `Virtual server ${name}: no protocol set - defaulting to UDP`);
    vs.protocol = IPPROTO_UDP;
  }
  if (vs.ops && vs.protocol !== IPPROTO_UDP) {
    ctx.warn(st, `Virtual server ${name}: one packet scheduling requires UDP - resetting`);
    vs.ops = false;
  }
  if (vs.persistenceTimeoutSec === 0 && vs.port === 0) {
    ctx.warn(st, `Virtual server ${name}: zero port only valid for persistent services - setting`);
    vs.persistenceTimeoutSec = 360;
  }
}
