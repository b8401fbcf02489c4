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
import { Ctx, type Mutable } from './config-values.ts';
import { fileIncluder } from './config-include.ts';
import { readGroup, type Member } from './config-group.ts';
import { readOtherBlock, readSsl } from './config-other-blocks.ts';
import { readServiceKeyword, serviceChecks, serviceDefaults } from './config-service-keywords.ts';
import {
  destPort,
  hostPort,
  readRealServer,
  sorryPort,
  type RealServerConfig,
  type SorryServerConfig,
} from './config-real-server.ts';
import { readInherited } from './config-inherited.ts';
import { IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP } from '../lib/inet.ts';
import type { Inet6 } from '../lib/inet6.ts';

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

const PROTO_NAMES: Record<number, string> = { [IPPROTO_TCP]: 'TCP', [IPPROTO_UDP]: 'UDP', [IPPROTO_SCTP]: 'SCTP' };

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
    if (st.key !== 'virtual_server') {
      readOtherBlock(ctx, st);
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

/** One service of a virtual_server block; undefined when keepalived would drop it (no real servers). */
function readVirtualServer(ctx: Ctx, st: Stmt, m: Member, group: string): VirtualServerConfig | undefined {
  const isFwm = m.fwmark !== 0;
  const k = serviceDefaults(m);
  const rsStmts: Stmt[] = [];
  for (const s of st.block ?? []) {
    if (s.key === 'real_server') rsStmts.push(s);
    else if (readInherited(ctx, s, k.inh) || readServiceKeyword(ctx, s, k)) ctx.noBlock(s);
  }
  serviceChecks(ctx, st, k);
  const vs: Mutable<VirtualServerConfig> = {
    line: st.line,
    protocol: k.protocol,
    addr: k.addr,
    ...(k.addr6 !== undefined ? { addr6: k.addr6 } : {}),
    port: k.port,
    fwmark: k.fwmark,
    key: isFwm ? `FWM ${k.fwmark}` : `${PROTO_NAMES[k.protocol] ?? String(k.protocol)} ${hostPort(k, k.port)}`,
    sched: k.sched,
    method: k.method,
    persistenceTimeoutSec: k.persistenceTimeoutSec,
    persistenceGranularity: k.persistenceGranularity,
    ops: k.ops,
    alpha: k.inh.alpha ?? false,
    omega: false,
    quorum: k.quorum,
    hysteresis: k.hysteresis,
    ...(k.quorumUp !== undefined ? { quorumUp: k.quorumUp } : {}),
    ...(k.quorumDown !== undefined ? { quorumDown: k.quorumDown } : {}),
    schedFlags: k.schedFlags,
    monitorKey: '',
    realServers: [],
  };
  if (k.sorry !== undefined)
    vs.sorryServer = {
      ...k.sorry,
      key: hostPort(k.sorry, k.sorry.port),
      inhibit: k.sorryInhibit,
      ...(k.sorryMethod !== undefined ? { method: k.sorryMethod } : {}),
    };
  const keys = new Map<string, number>();
  const rss: RealServerConfig[] = [];
  for (const s of rsStmts) {
    const rs = readRealServer(
      ctx,
      s,
      vs.addr6 !== undefined,
      isFwm ? 0 : vs.port,
      vs.method,
      k.inh,
      k.inhibit,
      k.rsWeight,
    );
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
