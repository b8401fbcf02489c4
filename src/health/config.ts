// config: the health-check part of the daemon config, in keepalived.conf's own syntax and names
// (keepalived.conf(5) "LVS CONFIGURATION"; keepalived/check/check_parser.c). Supported:
//
//   SSL { ca FILE  certificate FILE  key FILE  password PW }      (for every SSL_GET)
//   virtual_server_group NAME { <IP> <PORT> | <IP>-<LAST> <PORT> | fwmark <N> ... }
//   include <GLOB>                  (relative to the including file's directory)
//   virtual_server <IP> <PORT> | virtual_server fwmark <N> | virtual_server group NAME {
//     lvs_sched|lb_algo rr|wrr|...   lvs_method|lb_kind NAT|DR|TUN   protocol TCP|UDP|SCTP
//     persistence_timeout [S]   persistence_granularity <MASK>   ops   sh-port sh-fallback ...
//     delay_loop T  connect_timeout T  retry N  delay_before_retry T  warmup T  alpha  weight N
//     inhibit_on_failure   quorum N  hysteresis N  quorum_up SCRIPT  quorum_down SCRIPT
//     sorry_server <IP> <PORT>   sorry_server_inhibit   sorry_server_lvs_method   virtualhost NAME
//     real_server <IP> [<PORT>] {
//       weight N  inhibit_on_failure  notify_up SCRIPT  notify_down SCRIPT  uthreshold N  lthreshold N
//       (delay_loop ... alpha as above)
//       TCP_CHECK { } | HTTP_GET|SSL_GET { url { path digest status_code ... } enable_sni ... }
//         | UDP_CHECK { } | PING_CHECK { } | MISC_CHECK { } | SMTP_CHECK { helo_name host { } }
//         | DNS_CHECK { type name }
//         | BFD_CHECK { name N }   (skipped with keepalived's warning: tsvs runs no BFD daemon)
//     }
//   }
//
// A group's members each become one IPVS service with the virtual_server's settings, sharing
// one set of checkers. What
// keepalived only warns about is a warning here too (HealthConfig.warnings, in keepalived's words
// where it has some): unknown keywords (nat_mask), persistence_timeout 0, a quorum above the total
// weight; keywords tsvs accepts without their effect (omega, ha_suspend, global_defs, vrrp_*)
// warn "keyword X is accepted and ignored by tsvs"; vrrp_instance and vrrp_sync_group warn that
// VRRP is keepalived's job and how keepalived hands its state to tsvsd. Bad values are errors
// "source:line: ...". T is seconds (fractions allowed); SCRIPT one word or a quoted command line.

import { readFileSync } from 'node:fs';
import { parseBlocks, type Includer, type Stmt } from './config-lexer.ts';
import { Ctx } from './config-values.ts';
import { readCheckers, readInherited, type CheckerSpec, type Inherited } from './config-checkers.ts';
import { fileIncluder } from './config-include.ts';
import { SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../model/service.ts';
import { ipToString, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, parseDottedQuad } from '../lib/inet.ts';
import { formatInet6, inet6Fold, parseInet6, type Inet6 } from '../lib/inet6.ts';

export interface RealServerConfig {
  readonly line: number;
  /** IPv4 uint32; for an IPv6 real server the fold of addr6. */
  readonly addr: number;
  /** An IPv6 real server's four words. */
  readonly addr6?: Inet6;
  /** The IPVS destination port, after keepalived's corrections for DR/TUN (validate_check_config). */
  readonly port: number;
  /** The port the checkers probe: the one written in the file (the checkers' co->dst is set at parse time). */
  readonly checkPort: number;
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
  readonly addr6?: Inet6;
  readonly port: number;
  readonly key: string;
  readonly inhibit: boolean;
  /** sorry_server_lvs_method; the virtual server's lvs_method when unset. */
  readonly method?: 'NAT' | 'DR' | 'TUN';
}

export interface VirtualServerConfig {
  readonly line: number;
  readonly protocol: number;
  readonly addr: number;
  /** Present for an IPv6 service (its address, or :: for `fwmark N` with `ip_family inet6`). */
  readonly addr6?: Inet6;
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
  /** IP_VS_SVC_F_SCHED1..3 from sh-/mh-port, sh-/mh-fallback and flag-1..3. */
  readonly schedFlags: number;
  readonly alpha: boolean;
  /** keepalived's omega is accepted with a warning and has no effect in tsvs. */
  readonly omega: boolean;
  readonly quorum: number;
  readonly hysteresis: number;
  readonly quorumUp?: readonly string[];
  readonly quorumDown?: readonly string[];
  readonly sorryServer?: SorryServerConfig;
  /** The virtual_server_group this service is a member of, if any. */
  readonly group?: string;
  /**
   * The health monitor's name for this service: its key, or "group NAME" for the members of a
   * group, which share one set of checkers as keepalived's one real_server list per
   * virtual_server does (ipwrapper.c applies each verdict to every group entry).
   */
  readonly monitorKey: string;
  readonly realServers: readonly RealServerConfig[];
}

export interface HealthConfig {
  readonly virtualServers: readonly VirtualServerConfig[];
  /** What keepalived would only warn about, "source:line: ...": the daemon logs each at load. */
  readonly warnings: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One IPVS service a virtual_server (or each member of its virtual_server_group) stands for. */
interface Member {
  readonly addr: number;
  readonly addr6?: Inet6;
  readonly port: number;
  readonly fwmark: number;
}

const SKIPPED_BLOCKS =
  /^(global_defs|vrrp_.*|static_ipaddress|static_routes|static_rules|linkbeat_interfaces|track_file|bfd_instance|garp_group|net_namespace.*|instance|use_pid_dir)$/;
const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'];
const PROTOCOLS: Record<string, number> = { TCP: IPPROTO_TCP, UDP: IPPROTO_UDP, SCTP: IPPROTO_SCTP };
const PROTO_NAMES: Record<number, string> = { [IPPROTO_TCP]: 'TCP', [IPPROTO_UDP]: 'UDP', [IPPROTO_SCTP]: 'SCTP' };

/** "addr:port" as keepalived's FMT_RS/FMT_VS print it: IPv6 in brackets. */
function hostPort(a: { readonly addr: number; readonly addr6?: Inet6 }, port: number): string {
  return a.addr6 !== undefined ? `[${formatInet6(a.addr6)}]:${port}` : `${ipToString(a.addr)}:${port}`;
}

/** Read a keepalived.conf from disk, `include` resolved relative to each including file. */
export function readHealthConfigFile(path: string): HealthConfig {
  const warnings: string[] = [];
  return parseHealthConfig(readFileSync(path, 'utf8'), path, { includer: fileIncluder(warnings), warnings });
}

export interface ParseOptions {
  /** Resolves `include`; without one an include line is an error. */
  readonly includer?: Includer;
  /** Warnings gathered before parsing (the includer's); the result's warnings start with them. */
  readonly warnings?: string[];
}

/** Parse keepalived-syntax text; throws TsvsError CONFIG_INVALID "source:line: what is wrong". */
export function parseHealthConfig(text: string, source = 'config', opts: ParseOptions = {}): HealthConfig {
  const ctx = new Ctx(source, opts.warnings);
  const virtualServers: VirtualServerConfig[] = [];
  const seen = new Map<string, number>();
  const stmts = parseBlocks(text, source, opts.includer);
  // Groups first: a virtual_server may name a group defined further down (check_data.c links them after parsing).
  const groups = new Map<string, Member[]>();
  for (const st of stmts) if (st.key === 'virtual_server_group') readGroup(ctx, st, groups);
  for (const st of stmts) if (st.key === 'SSL') readSsl(ctx, st);
  for (const st of stmts) {
    if (st.key === 'virtual_server_group' || st.key === 'SSL') continue;
    if (SKIPPED_BLOCKS.test(st.key)) {
      if (st.key === 'vrrp_instance' || st.key === 'vrrp_sync_group') ctx.warn(st, vrrpIsKeepalivedsJob(st));
      else
        ctx.ignored(
          st,
          st.key.startsWith('vrrp_') ? 'tsvs runs no VRRP; keepalived does' : 'not part of the LVS configuration',
        );
      continue;
    }
    if (st.key !== 'virtual_server') {
      ctx.warn(st, `Unknown keyword '${st.key}'`); // lib/parser.c process_stream
      continue;
    }
    for (const vs of readVirtualServers(ctx, st, groups)) {
      const prev = seen.get(vs.key);
      if (prev !== undefined) ctx.fail(st, `virtual_server ${vs.key} is already defined at line ${prev}`);
      seen.set(vs.key, st.line);
      virtualServers.push(vs);
    }
  }
  return { virtualServers, warnings: [...new Set(ctx.warnings)] };
}

/**
 * A vrrp_instance or vrrp_sync_group in tsvsd's --health file: valid keepalived config that tsvsd
 * does not run. VRRP stays keepalived's: keepalived runs beside tsvsd with this block and hands its
 * state over through its notify FIFO, which tsvsd reads (src/daemon/vrrp-fifo.ts).
 */
function vrrpIsKeepalivedsJob(st: Stmt): string {
  const name = st.args[0]?.text;
  return `${st.key}${name === undefined ? '' : ` ${name}`} is ignored by tsvsd: VRRP is keepalived's job. Run keepalived with this block on each director, its notify_fifo read by tsvsd (\`vrrp-notify-fifo\` and \`vrrp-state backup\` in tsvsd.conf's [engine]) (lab/README.md, "High availability: keepalived and VRRP")`;
}

/** SSL { password ca certificate key }: the files every SSL_GET uses (check_parser.c ssl_handler). */
function readSsl(ctx: Ctx, st: Stmt): void {
  // "SSL context already specified - replacing".
  if (Object.keys(ctx.ssl).length > 0) ctx.warn(st, 'SSL context already specified - replacing');
  const ssl: { ca?: string; certificate?: string; key?: string; password?: string } = {};
  for (const s of st.block ?? []) {
    ctx.noBlock(s);
    if (s.key === 'ca' || s.key === 'certificate' || s.key === 'key' || s.key === 'password')
      ssl[s.key] = ctx.arg(s, 0, s.key === 'password' ? 'a password' : 'a file name');
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  ctx.ssl = ssl;
}

function isIpv6(text: string): boolean {
  return text.includes(':');
}

/**
 * virtual_server_group NAME { IP PORT | IP-LAST PORT | fwmark N ... } (check_parser.c vsg_handler,
 * check_data.c alloc_vsg_entry: "IP-LAST" is a range of the last octet; a missing port is 0).
 */
function readGroup(ctx: Ctx, st: Stmt, groups: Map<string, Member[]>): void {
  const name = ctx.arg(st, 0, 'a group name');
  const members: Member[] = [];
  for (const e of st.block ?? []) {
    ctx.noBlock(e);
    if (e.key === 'fwmark') {
      members.push({ addr: 0, port: 0, fwmark: ctx.int(e, 0, 0xffffffff) });
      continue;
    }
    const port6 = e.args.length > 0 ? ctx.int(e, 0, 65535) : 0;
    if (isIpv6(e.key)) {
      // IPv6 "IP-LAST": LAST replaces the last 16-bit group, in hex (inet_stor).
      const dash = e.key.lastIndexOf('-');
      const w = parseInet6(dash < 0 ? e.key : e.key.slice(0, dash));
      const end =
        dash < 0 ? null : /^[0-9a-fA-F]{1,4}$/.test(e.key.slice(dash + 1)) ? parseInt(e.key.slice(dash + 1), 16) : -1;
      const first = w === null ? 0 : w[3]! & 0xffff;
      if (w === null || (end !== null && end < first))
        ctx.fail(e, `virtual_server_group ${name}: invalid entry '${e.key}'`);
      for (let g = first; g <= (end ?? first); g++) {
        const a = Uint32Array.of(w[0]!, w[1]!, w[2]!, ((w[3]! & 0xffff0000) | g) >>> 0);
        members.push({ addr: inet6Fold(a), addr6: a, port: port6, fwmark: 0 });
      }
      continue;
    }
    const m = /^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$/.exec(e.key);
    const first = m === null ? NaN : Number(m[2]);
    const last = m?.[3] !== undefined ? Number(m[3]) : first;
    if (m === null || !(first <= last && last <= 255))
      ctx.fail(e, `virtual_server_group ${name}: invalid entry '${e.key}'`);
    const port = e.args.length > 0 ? ctx.int(e, 0, 65535) : 0;
    for (let o = first; o <= last; o++) {
      const addr = parseDottedQuad(`${m[1]}${o}`);
      if (addr === null) ctx.fail(e, `virtual_server_group ${name}: invalid address '${m[1]}${o}'`);
      members.push({ addr, port, fwmark: 0 });
    }
  }
  if (members.length === 0) {
    ctx.warn(st, `virtual server group ${name} has no entries - removing`);
    return;
  }
  if (groups.has(name)) ctx.fail(st, `virtual_server_group ${name} is already defined`);
  groups.set(name, members);
}

/** A virtual_server block: one service, or one per member of its group (ipwrapper.c init_service_vs). */
function readVirtualServers(ctx: Ctx, st: Stmt, groups: Map<string, Member[]>): VirtualServerConfig[] {
  if (st.block === undefined) ctx.fail(st, 'virtual_server needs a block: virtual_server <IP> <PORT> { ... }');
  const a0 = st.args[0]?.text;
  if (a0 === 'group') {
    const name = ctx.arg(st, 1, 'a group name');
    const members = groups.get(name);
    if (members === undefined) {
      ctx.warn(st, `Virtual server group ${name} not found - ignoring virtual server`);
      return [];
    }
    const vss = members.flatMap((m) => readVirtualServer(ctx, st, m, name) ?? []);
    // One checker set for the group when every member has the same real servers (a real server
    // without a port takes each member's port, and then the members differ).
    const rsKeys = (vs: VirtualServerConfig): string => vs.realServers.map((r) => r.key).join(' ');
    const shared = vss.every((vs) => rsKeys(vs) === rsKeys(vss[0]!));
    return shared ? vss.map((vs) => ({ ...vs, monitorKey: `group ${name}` })) : vss;
  }
  if (a0 === 'fwmark') {
    const vs = readVirtualServer(ctx, st, { addr: 0, port: 0, fwmark: ctx.int(st, 1, 0xffffffff, 1) }, '');
    return vs === undefined ? [] : [vs];
  }
  const member = { ...ctx.inet(st, 0), port: st.args.length > 1 ? ctx.int(st, 0, 65535, 1) : 0, fwmark: 0 };
  const vs = readVirtualServer(ctx, st, member, '');
  return vs === undefined ? [] : [vs];
}

function method(ctx: Ctx, st: Stmt): 'NAT' | 'DR' | 'TUN' {
  const m = ctx.arg(st, 0, 'NAT, DR or TUN').toUpperCase();
  if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') ctx.fail(st, `${st.key}: '${m}' is not NAT, DR or TUN`);
  return m;
}

/**
 * check_data.c validate_check_config's service checks, each a warning there and here, with the
 * same correction: a service without `protocol` becomes UDP (the kernel's default for 0).
 */
function serviceChecks(ctx: Ctx, st: Stmt, vs: Mutable<VirtualServerConfig>, protocolSet: boolean): void {
  const name = vs.fwmark !== 0 ? `FWM ${vs.fwmark}` : hostPort(vs, vs.port);
  if (vs.fwmark !== 0) {
    if (protocolSet)
      ctx.warn(st, `Warning: Virtual server ${name}: protocol specified for fwmark - protocol will be ignored`);
    return;
  }
  if (!protocolSet) {
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

/**
 * validate_check_config's port corrections (check_data.c): only NAT can change the port, so a
 * DR/TUN real server of a fwmark service gets port 0 and of an address service the service's
 * port, with a warning when the file said otherwise; a NAT real server without a port takes the
 * service's. The checkers keep probing the port the file gave.
 */
function destPort(ctx: Ctx, st: Stmt, vs: VirtualServerConfig, rs: RealServerConfig): RealServerConfig {
  const fwm = vs.fwmark !== 0;
  let port = rs.port;
  if (rs.method === 'NAT') {
    if (!fwm && port === 0) port = vs.port;
  } else if (fwm) {
    if (port !== 0)
      ctx.warn(st, `WARNING - fwmark virtual server ${vs.key}, real server ${rs.key} has port specified - clearing`);
    port = 0;
  } else if (port === 0) port = vs.port;
  else if (port !== vs.port) {
    ctx.warn(st, `WARNING - virtual server ${vs.key} and real server ${rs.key} ports don't match - resetting`);
    port = vs.port;
  }
  return port === rs.port ? rs : { ...rs, port, key: hostPort(rs, port) };
}

/** The same corrections for the sorry server (its method: sorry_server_lvs_method, else the service's). */
function sorryPort(ctx: Ctx, st: Stmt, vs: VirtualServerConfig, ss: SorryServerConfig): SorryServerConfig {
  if ((ss.method ?? vs.method) === 'NAT') return ss;
  let port = ss.port;
  if (vs.fwmark !== 0) {
    if (port !== 0) ctx.warn(st, `WARNING - virtual server ${vs.key}, sorry server has port specified - clearing`);
    port = 0;
  } else if (port === 0) port = vs.port;
  else if (port !== vs.port) {
    ctx.warn(st, `WARNING - virtual server ${vs.key} and sorry server ports don't match - resetting`);
    port = vs.port;
  }
  return port === ss.port ? ss : { ...ss, port, key: hostPort(ss, port) };
}

/** One service of a virtual_server block; undefined when keepalived would drop it (no real servers). */
function readVirtualServer(ctx: Ctx, st: Stmt, m: Member, group: string): VirtualServerConfig | undefined {
  const block = st.block ?? [];
  const isFwm = m.fwmark !== 0;
  const vs: Mutable<VirtualServerConfig> = {
    line: st.line,
    protocol: IPPROTO_TCP,
    addr: m.addr,
    ...(m.addr6 !== undefined ? { addr6: m.addr6 } : {}),
    port: m.port,
    fwmark: m.fwmark,
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
    schedFlags: 0,
    monitorKey: '',
    realServers: [],
  };
  const inh: Inherited = {};
  let inhibit = false;
  let sorryInhibit = false;
  let sorryMethod: 'NAT' | 'DR' | 'TUN' | undefined;
  let rsWeight = 1;
  let schedFlags = 0;
  let protocolSet = false;
  let sorry: { addr: number; port: number } | undefined;
  const rsStmts: Stmt[] = [];
  for (const s of block) {
    if (s.key === 'real_server') {
      rsStmts.push(s);
      continue;
    }
    if (readInherited(ctx, s, inh)) {
      ctx.noBlock(s);
      continue;
    }
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
        protocolSet = true;
        break;
      }
      case 'persistence_timeout':
        // pto_handler: no value is IPVS_SVC_PERSISTENT_TIMEOUT (360); 0 is outside 1..LVS_MAX_TIMEOUT
        // and only warned about, leaving the service not persistent.
        if (s.args.length === 0) vs.persistenceTimeoutSec = 360;
        else if (s.args[0]?.text === '0') ctx.warn(s, 'persistence_timeout invalid');
        else vs.persistenceTimeoutSec = ctx.int(s, 1, 0x7fffffff);
        break;
      case 'persistence_granularity':
        // An IPv6 service's granularity is a prefix length (ipvsadm -M for IPv6).
        vs.persistenceGranularity = vs.addr6 !== undefined ? ctx.int(s, 1, 128) : ctx.ipv4(s, 0);
        break;
      case 'ops':
        vs.ops = true;
        break;
      case 'ip_family':
        // ip_family_handler: inet6 makes a fwmark service IPv6; for an address service the
        // family must be the address's (check_parser.c: "ip_family doesn't match").
        {
          const fam = ctx.arg(s, 0, 'inet or inet6');
          if (fam !== 'inet' && fam !== 'inet6') ctx.warn(s, `unknown address family ${fam}`);
          else if (isFwm) {
            if (fam === 'inet6') vs.addr6 = new Uint32Array(4);
            else delete vs.addr6;
          } else if ((fam === 'inet6') !== (vs.addr6 !== undefined))
            ctx.fail(s, `ip_family ${fam} doesn't match the virtual server's address family`);
        }
        break;
      case 'inhibit_on_failure':
        inhibit = ctx.bool(s);
        break;
      case 'quorum':
        vs.quorum = ctx.int(s, 1, 0xffffffff);
        break;
      case 'hysteresis':
        vs.hysteresis = ctx.int(s, 0, 0xffffffff);
        break;
      case 'quorum_up':
        vs.quorumUp = ctx.script(s);
        break;
      case 'quorum_down':
        vs.quorumDown = ctx.script(s);
        break;
      case 'weight':
        // vs_weight_handler: the default weight of the real servers (check_data.c: rs->effective_weight = vs->weight).
        rsWeight = ctx.int(s, 1, 65535);
        break;
      case 'sorry_server':
        {
          const a = ctx.inet(s, 0);
          if ((a.addr6 !== undefined) !== (vs.addr6 !== undefined)) {
            ctx.warn(
              s,
              `Address family of virtual server and sorry server ${s.args[0]?.text ?? ''} don't match - skipping sorry server.`,
            );
            break;
          }
          sorry = { ...a, port: s.args.length > 1 ? ctx.int(s, 0, 65535, 1) : vs.port };
        }
        break;
      case 'sorry_server_inhibit':
        sorryInhibit = ctx.bool(s);
        break;
      case 'sorry_server_lvs_method':
        sorryMethod = method(ctx, s);
        break;
      case 'virtualhost':
        inh.virtualhost = ctx.arg(s, 0, 'a host name');
        break;
      case 'sh-port':
      case 'sh-fallback':
      case 'mh-port':
      case 'mh-fallback':
        // lbflags_handler: the flag is set only for its scheduler, else "only applies to sh scheduler - ignoring".
        // ip_vs.h: IP_VS_SVC_F_SCHED_SH_FALLBACK = SCHED1, _SH_PORT = SCHED2 (the same bits for mh).
        if (vs.sched === s.key.slice(0, 2)) schedFlags |= s.key.endsWith('port') ? SVC_F_SCHED2 : SVC_F_SCHED1;
        else ctx.warn(s, `${s.key} only applies to sh scheduler - ignoring`);
        break;
      case 'flag-1':
      case 'flag-2':
      case 'flag-3':
        schedFlags |= s.key === 'flag-1' ? SVC_F_SCHED1 : s.key === 'flag-2' ? SVC_F_SCHED2 : SVC_F_SCHED3;
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
        continue;
    }
    ctx.noBlock(s);
  }
  vs.alpha = inh.alpha ?? false;
  vs.schedFlags = schedFlags;
  serviceChecks(ctx, st, vs, protocolSet);
  vs.key = isFwm ? `FWM ${vs.fwmark}` : `${PROTO_NAMES[vs.protocol] ?? String(vs.protocol)} ${hostPort(vs, vs.port)}`;
  if (sorry !== undefined)
    vs.sorryServer = {
      ...sorry,
      key: hostPort(sorry, sorry.port),
      inhibit: sorryInhibit,
      ...(sorryMethod !== undefined ? { method: sorryMethod } : {}),
    };
  const keys = new Map<string, number>();
  const rss: RealServerConfig[] = [];
  for (const s of rsStmts) {
    const rs = readRealServer(ctx, s, vs.addr6 !== undefined, isFwm ? 0 : vs.port, vs.method, inh, inhibit, rsWeight);
    if (rs === undefined) continue;
    const prev = keys.get(rs.key);
    if (prev !== undefined) {
      ctx.warn(s, `VS ${vs.key}: real server ${rs.key} is duplicated - removing second rs`);
      continue;
    }
    keys.set(rs.key, s.line);
    rss.push(rs);
  }
  vs.realServers = group === '' ? rss.map((rs) => destPort(ctx, st, vs, rs)) : rss;
  if (vs.sorryServer !== undefined && group === '') vs.sorryServer = sorryPort(ctx, st, vs, vs.sorryServer);
  if (rss.length === 0) {
    ctx.warn(st, `Virtual server ${vs.key} has no real servers - ignoring`);
    return undefined;
  }
  // check_data.c validate_check_config: a quorum above the total weight could never be reached.
  const weightSum = rss.reduce((sum, rs) => sum + rs.weight, 0);
  if (vs.quorum > weightSum) {
    ctx.warn(
      st,
      `Warning - quorum ${vs.quorum} for ${vs.key} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`,
    );
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum && !(vs.hysteresis === 0 && vs.quorum === 0)) {
    ctx.warn(
      st,
      `Virtual server ${vs.key}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${vs.quorum - 1}`,
    );
    vs.hysteresis = vs.quorum - 1;
  }
  vs.monitorKey = vs.key;
  if (group !== '') vs.group = group;
  return vs;
}

function readRealServer(
  ctx: Ctx,
  st: Stmt,
  vsIpv6: boolean,
  vsPort: number,
  vsMethod: 'NAT' | 'DR' | 'TUN',
  vsInh: Inherited,
  vsInhibit: boolean,
  defaultWeight: number,
): RealServerConfig | undefined {
  const a0 = ctx.arg(st, 0, 'an address');
  const at = ctx.inet(st, 0);
  if ((at.addr6 !== undefined) !== vsIpv6) {
    // rs_end_handler: a real server of another address family is skipped with a warning.
    ctx.warn(st, `Address family of virtual server and real server ${a0} don't match - skipping real server.`);
    return undefined;
  }
  // A fwmark service's real servers may omit the port (alloc_rs: no port is port 0).
  const port = st.args.length > 1 ? ctx.int(st, 0, 65535, 1) : vsPort;
  if (st.block === undefined) ctx.fail(st, 'real_server needs a block: real_server <IP> <PORT> { ... }');
  const inh: Inherited = { ...vsInh };
  const rs: Mutable<RealServerConfig> = {
    line: st.line,
    ...at,
    port,
    checkPort: port,
    key: hostPort(at, port),
    weight: defaultWeight,
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
    else if (s.key === 'smtp_alert' || s.key === 'snmp_name') ctx.ignored(s);
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  rs.checkers = checkerStmts.flatMap((s) => readCheckers(ctx, s, inh, rs.key));
  return rs;
}
