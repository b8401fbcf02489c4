// config-real-server: keepalived.conf's real_server block and the sorry server, the destinations
// of a virtual_server, with check_data.c validate_check_config's port corrections for DR/TUN
// (keepalived check/check_parser.c rs_handler, rs_end_handler; check_data.c alloc_rs).

import type { Stmt } from './config-lexer.ts';
import type { Ctx, Mutable } from './config-values.ts';
import { readCheckers } from './config-checkers.ts';
import type { CheckerSpec } from './config-checker.ts';
import { readInherited, type Inherited } from './config-inherited.ts';
import { ipToString } from '../lib/inet.ts';
import { formatInet6, type Inet6 } from '../lib/inet6.ts';

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

/** "addr:port" as keepalived's FMT_RS/FMT_VS print it: IPv6 in brackets. */
export function hostPort(a: { readonly addr: number; readonly addr6?: Inet6 }, port: number): string {
  return a.addr6 !== undefined ? `[${formatInet6(a.addr6)}]:${port}` : `${ipToString(a.addr)}:${port}`;
}

/** What the port corrections read of the virtual server. */
interface ServiceOf {
  readonly fwmark: number;
  readonly port: number;
  readonly key: string;
  readonly method: 'NAT' | 'DR' | 'TUN';
}

/**
 * validate_check_config's port corrections (check_data.c): only NAT can change the port, so a
 * DR/TUN real server of a fwmark service gets port 0 and of an address service the service's
 * port, with a warning when the file said otherwise; a NAT real server without a port takes the
 * service's. The checkers keep probing the port the file gave.
 */
export function destPort(ctx: Ctx, st: Stmt, vs: ServiceOf, rs: RealServerConfig): RealServerConfig {
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
export function sorryPort(ctx: Ctx, st: Stmt, vs: ServiceOf, ss: SorryServerConfig): SorryServerConfig {
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

/** One real_server block; undefined when keepalived skips it (another address family). */
export function readRealServer(
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
    else if (s.key === 'lvs_method') rs.method = ctx.method(s);
    else if (s.key === 'smtp_alert' || s.key === 'snmp_name') ctx.ignored(s);
    else ctx.warn(s, `Unknown keyword '${s.key}'`);
  }
  rs.checkers = checkerStmts.flatMap((s) => readCheckers(ctx, s, inh, rs.key));
  return rs;
}
