// registry: checker specs (config.ts) to Checker instances, and a parsed config to the
// HealthMonitor's input (keepalived's install_checkers_keyword / queue_checker, check_api.c).

import type { Checker } from './checker.ts';
import type { CheckerSpec } from './config-checker.ts';
import type { HealthConfig } from './config.ts';
import type { MonitoredService } from './monitor-types.ts';
import { TcpCheck } from './tcp-check.ts';
import { HttpCheck } from './http-check.ts';
import { UdpCheck } from './udp-check.ts';
import { IcmpCheck } from './icmp-check.ts';
import { MiscCheck } from './misc-check.ts';
import { sslCheck } from './ssl-check.ts';
import { SmtpCheck } from './smtp-check.ts';
import { DnsCheck } from './dns-check.ts';

export function createChecker(spec: CheckerSpec): Checker {
  switch (spec.kind) {
    case 'TCP_CHECK':
      return new TcpCheck(spec.opts);
    case 'HTTP_GET':
      return new HttpCheck(spec.opts);
    case 'UDP_CHECK':
      return new UdpCheck(spec.opts);
    case 'PING_CHECK':
      return new IcmpCheck(spec.opts);
    case 'MISC_CHECK':
      return new MiscCheck(spec.opts);
    case 'SSL_GET':
      return sslCheck(spec.opts);
    case 'SMTP_CHECK':
      return new SmtpCheck(spec.opts);
    case 'DNS_CHECK':
      return new DnsCheck(spec.opts);
  }
}

/**
 * Every virtual server of the config as a MonitoredService (checkers instantiated), once per
 * monitorKey: the members of a group share the first member's.
 */
export function toMonitoredServices(cfg: HealthConfig): MonitoredService[] {
  const seen = new Set<string>();
  const once = cfg.virtualServers.filter((vs) => !seen.has(vs.monitorKey) && seen.add(vs.monitorKey) !== undefined);
  return once.map((vs) => ({
    key: vs.monitorKey,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    ...(vs.quorumUp !== undefined ? { quorumUp: vs.quorumUp } : {}),
    ...(vs.quorumDown !== undefined ? { quorumDown: vs.quorumDown } : {}),
    // The sorry server is allocated like a real server, with the default weight 1.
    ...(vs.sorryServer !== undefined
      ? { sorryServer: { key: vs.sorryServer.key, weight: 1, inhibit: vs.sorryServer.inhibit } }
      : {}),
    servers: vs.realServers.map((rs) => ({
      key: rs.key,
      addr: rs.addr,
      ...(rs.addr6 !== undefined ? { addr6: rs.addr6 } : {}),
      port: rs.checkPort,
      weight: rs.weight,
      inhibitOnFailure: rs.inhibitOnFailure,
      ...(rs.notifyUp !== undefined ? { notifyUp: rs.notifyUp } : {}),
      ...(rs.notifyDown !== undefined ? { notifyDown: rs.notifyDown } : {}),
      checkers: rs.checkers.map((spec) => ({ checker: createChecker(spec), loop: spec.loop })),
    })),
  }));
}
