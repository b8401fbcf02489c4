// config: the health-check part of the daemon config, in keepalived.conf's own syntax and names
// (keepalived.conf(5) "LVS CONFIGURATION"; keepalived/check/check_parser.c). Supported:
//
//   virtual_server <IP> <PORT> | virtual_server fwmark <N> {
//     lvs_sched|lb_algo rr|wrr|...   lvs_method|lb_kind NAT|DR|TUN   protocol TCP|UDP|SCTP
//     persistence_timeout [S]   persistence_granularity <MASK>   ops
//     delay_loop T  connect_timeout T  retry N  delay_before_retry T  warmup T  alpha  omega
//     inhibit_on_failure   quorum N  hysteresis N  quorum_up SCRIPT  quorum_down SCRIPT
//     sorry_server <IP> <PORT>   sorry_server_inhibit   virtualhost NAME
//     real_server <IP> [<PORT>] {
//       weight N  inhibit_on_failure  notify_up SCRIPT  notify_down SCRIPT  uthreshold N  lthreshold N
//       (delay_loop ... alpha as above)
//       TCP_CHECK { } | HTTP_GET { url { path digest status_code ... } } | UDP_CHECK { }
//         | PING_CHECK { } | MISC_CHECK { }
//     }
//   }
//
// global_defs, vrrp_* and static_* blocks are skipped (not ours); anything else is an error
// "source:line: ...". T is seconds (fractions allowed); SCRIPT one word or a quoted command line.

import { parseBlocks, type Stmt } from './config-lexer.ts';
import { Ctx } from './config-values.ts';
import { readChecker, readInherited, type CheckerSpec, type Inherited } from './config-checkers.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';

export interface RealServerConfig {
  readonly line: number;
  readonly addr: number;
  readonly port: number;
  /** "192.168.99.100:80". */
  readonly key: string;
  readonly weight: number;
  /** lvs_method of this real server (default: the virtual server's). */
  readonly method: 'NAT' | 'DR' | 'TUN';
  readonly inhibitOnFailure: boolean;
  readonly uThreshold: number;
  readonly lThreshold: number;
  readonly notifyUp?: readonly string[];
  readonly notifyDown?: readonly string[];
  readonly checkers: readonly CheckerSpec[];
}

export interface SorryServerConfig {
  readonly addr: number;
  readonly port: number;
  readonly key: string;
  readonly inhibit: boolean;
}

export interface VirtualServerConfig {
  readonly line: number;
  readonly protocol: number;
  readonly addr: number;
  readonly port: number;
  /** Firewall-mark service (virtual_server fwmark N), else 0. */
  readonly fwmark: number;
  /** "TCP 192.168.88.5:80" or "FWM 1" (ipvsadm -L's way of naming a service). */
  readonly key: string;
  readonly sched: string;
  readonly method: 'NAT' | 'DR' | 'TUN';
  /** persistence_timeout in seconds (keepalived: 360 when given without a value), 0 = not persistent. */
  readonly persistenceTimeoutSec: number;
  readonly persistenceGranularity: number;
  readonly ops: boolean;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: readonly string[];
  readonly quorumDown?: readonly string[];
  readonly sorryServer?: SorryServerConfig;
  readonly realServers: readonly RealServerConfig[];
}

export interface HealthConfig {
  readonly virtualServers: readonly VirtualServerConfig[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const SKIPPED_BLOCKS =
  /^(global_defs|vrrp_.*|static_ipaddress|static_routes|static_rules|linkbeat_interfaces|track_file|bfd_instance)$/;
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'];
const PROTOCOLS: Record<string, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };
const PROTO_NAMES: Record<number, string> = { [IPPROTO_TCP]: 'TCP', [IPPROTO_UDP]: 'UDP', [IPPROTO_SCTP]: 'SCTP' };

/** Parse keepalived-syntax text; throws TsvsError CONFIG_INVALID "source:line: what is wrong". */
export function parseHealthConfig(text: string, source = 'config'): HealthConfig {
  const ctx = new Ctx(source);
  const virtualServers: VirtualServerConfig[] = [];
  const seen = new Map<string, number>();
  for (const st of parseBlocks(text, source)) {
    if (SKIPPED_BLOCKS.test(st.key)) continue;
    if (st.key !== 'virtual_server') ctx.fail(st, `unknown top-level keyword '${st.key}'`);
    const vs = readVirtualServer(ctx, st);
    const prev = seen.get(vs.key);
    if (prev !== undefined) ctx.fail(st, `virtual_server ${vs.key} is already defined at line ${prev}`);
    seen.set(vs.key, st.line);
    virtualServers.push(vs);
  }
  return { virtualServers };
}

function method(ctx: Ctx, st: Stmt): 'NAT' | 'DR' | 'TUN' {
  const m = ctx.arg(st, 0, 'NAT, DR or TUN').toUpperCase();
  if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') ctx.fail(st, `${st.key}: '${m}' is not NAT, DR or TUN`);
  return m;
}

function readVirtualServer(ctx: Ctx, st: Stmt): VirtualServerConfig {
  if (st.block === undefined) ctx.fail(st, 'virtual_server needs a block: virtual_server <IP> <PORT> { ... }');
  const isFwm = st.args[0]?.text === 'fwmark';
  if (st.args[0]?.text === 'group') ctx.fail(st, 'virtual_server group is not supported by tsvs');
  const vs: Mutable<VirtualServerConfig> = {
    line: st.line,
    protocol: IPPROTO_TCP,
    addr: isFwm ? 0 : ctx.ipv4(st, 0),
    port: 0,
    fwmark: isFwm ? ctx.int(st, 1, 0xffffffff, 1) : 0,
    key: '',
    sched: 'wlc',
    method: 'NAT',
    persistenceTimeoutSec: 0,
    persistenceGranularity: 0xffffffff,
    ops: false,
    alpha: false,
    omega: false,
    quorum: 1,
    hysteresis: 0,
    realServers: [],
  };
  if (!isFwm && st.args.length > 1) vs.port = ctx.port(st, 1);
  const inh: Inherited = {};
  let inhibit = false;
  let sorryInhibit = false;
  let sorry: { addr: number; port: number } | undefined;
  const rsStmts: Stmt[] = [];
  for (const s of st.block) {
    if (s.key === 'real_server') {
      rsStmts.push(s);
      continue;
    }
    ctx.noBlock(s);
    if (readInherited(ctx, s, inh)) continue;
    switch (s.key) {
      case 'lvs_sched':
      case 'lb_algo': {
        const name = ctx.arg(s, 0, 'a scheduler');
        if (!SCHEDULERS.includes(name)) ctx.fail(s, `${s.key}: unknown scheduler '${name}'`);
        vs.sched = name;
        break;
      }
      case 'lvs_method':
      case 'lb_kind':
        vs.method = method(ctx, s);
        break;
      case 'protocol': {
        const p = PROTOCOLS[ctx.arg(s, 0, 'TCP, UDP or SCTP').toUpperCase()];
        if (p === undefined) ctx.fail(s, `protocol: '${s.args[0]?.text ?? ''}' is not TCP, UDP or SCTP`);
        vs.protocol = p;
        break;
      }
      case 'persistence_timeout':
        vs.persistenceTimeoutSec = s.args.length === 0 ? 360 : ctx.int(s, 1, 0x7fffffff);
        break;
      case 'persistence_granularity':
        vs.persistenceGranularity = ctx.ipv4(s, 0);
        break;
      case 'ops':
        vs.ops = ctx.bool(s);
        break;
      case 'omega':
        vs.omega = ctx.bool(s);
        break;
      case 'inhibit_on_failure':
        inhibit = ctx.bool(s);
        break;
      case 'quorum':
        vs.quorum = ctx.int(s, 1, 0x7fffffff);
        break;
      case 'hysteresis':
        vs.hysteresis = ctx.int(s, 0, 0x7fffffff);
        break;
      case 'quorum_up':
        vs.quorumUp = ctx.script(s);
        break;
      case 'quorum_down':
        vs.quorumDown = ctx.script(s);
        break;
      case 'sorry_server':
        sorry = { addr: ctx.ipv4(s, 0), port: s.args.length > 1 ? ctx.port(s, 1) : vs.port };
        break;
      case 'sorry_server_inhibit':
        sorryInhibit = ctx.bool(s);
        break;
      case 'virtualhost':
        inh.virtualhost = ctx.arg(s, 0, 'a host name');
        break;
      case 'ha_suspend':
      case 'smtp_alert':
      case 'snmp_name':
      case 'sorry_server_lvs_method':
        break; // no effect on health checking here
      default:
        ctx.fail(s, `unknown keyword '${s.key}' in virtual_server`);
    }
  }
  vs.alpha = inh.alpha ?? false;
  vs.key = isFwm
    ? `FWM ${vs.fwmark}`
    : `${PROTO_NAMES[vs.protocol] ?? String(vs.protocol)} ${ipToString(vs.addr)}:${vs.port}`;
  if (sorry !== undefined)
    vs.sorryServer = { ...sorry, key: `${ipToString(sorry.addr)}:${sorry.port}`, inhibit: sorryInhibit };
  const keys = new Map<string, number>();
  vs.realServers = rsStmts.map((s) => {
    const rs = readRealServer(ctx, s, vs.port, vs.method, inh, inhibit);
    const prev = keys.get(rs.key);
    if (prev !== undefined) ctx.fail(s, `real_server ${rs.key} is already defined at line ${prev}`);
    keys.set(rs.key, s.line);
    return rs;
  });
  return vs;
}

function readRealServer(
  ctx: Ctx,
  st: Stmt,
  vsPort: number,
  vsMethod: 'NAT' | 'DR' | 'TUN',
  vsInh: Inherited,
  vsInhibit: boolean,
): RealServerConfig {
  const addr = ctx.ipv4(st, 0);
  const port = st.args.length > 1 ? ctx.port(st, 1) : vsPort;
  if (port === 0) ctx.fail(st, 'real_server needs a port');
  if (st.block === undefined) ctx.fail(st, 'real_server needs a block: real_server <IP> <PORT> { ... }');
  const inh: Inherited = { ...vsInh };
  const rs: Mutable<RealServerConfig> = {
    line: st.line,
    addr,
    port,
    key: `${ipToString(addr)}:${port}`,
    weight: 1,
    method: vsMethod,
    inhibitOnFailure: vsInhibit,
    uThreshold: 0,
    lThreshold: 0,
    checkers: [],
  };
  const checkerStmts: Stmt[] = [];
  for (const s of st.block) {
    if (/^[A-Z_]+$/.test(s.key)) {
      checkerStmts.push(s);
      continue;
    }
    ctx.noBlock(s);
    if (readInherited(ctx, s, inh)) continue;
    if (s.key === 'weight') rs.weight = ctx.int(s, 0, 65535);
    else if (s.key === 'inhibit_on_failure') rs.inhibitOnFailure = ctx.bool(s);
    else if (s.key === 'notify_up') rs.notifyUp = ctx.script(s);
    else if (s.key === 'notify_down') rs.notifyDown = ctx.script(s);
    else if (s.key === 'uthreshold') rs.uThreshold = ctx.int(s, 0, 0x7fffffff);
    else if (s.key === 'lthreshold') rs.lThreshold = ctx.int(s, 0, 0x7fffffff);
    else if (s.key === 'virtualhost') inh.virtualhost = ctx.arg(s, 0, 'a host name');
    else if (s.key === 'lvs_method') rs.method = method(ctx, s);
    else if (s.key === 'smtp_alert' || s.key === 'snmp_name') continue;
    else ctx.fail(s, `unknown keyword '${s.key}' in real_server`);
  }
  rs.checkers = checkerStmts.map((s) => readChecker(ctx, s, inh));
  return rs;
}
