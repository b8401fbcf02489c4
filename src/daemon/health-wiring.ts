// HealthWiring: what keepalived's ipwrapper.c does to IPVS, done to tsvs's service table. The
// health config (keepalived.conf syntax, src/health/config.ts) defines virtual servers and their
// real servers; the monitor's checkers report, the policy decides the desired set (alive servers
// with their weights, weight 0 for inhibit_on_failure, the sorry server when quorum is lost),
// and this class makes the table match it: add, edit the weight, or remove.
//
// prepareReload() (SIGHUP) reads the file again, as keepalived's reload does: virtual and real servers
// that left the file leave the table (clear_diff_services / clear_diff_rs, ipwrapper.c), a real
// server whose configuration is unchanged keeps its checkers' state (migrate_checkers,
// check_api.c), and new ones start as at start-up. A file that does not parse changes nothing.

import { destAddrIs } from '../model/dest.ts';
import { formatInet6 } from '../lib/inet6.ts';
import type { DestSpec, ServiceKey } from '../model/rule-spec.ts';
import type { ServiceTable } from '../model/service-table.ts';
import { readHealthConfigFile, type HealthConfig } from '../health/config.ts';
import { entriesOf, serviceSpecOf, signature, type Entry } from './health-entries.ts';
import { HealthMonitor, type MonitorOptions } from '../health/monitor.ts';
import type { DesiredEvent, HealthEvent } from '../health/monitor-types.ts';
import { toMonitoredServices } from '../health/registry.ts';
import type { Logger } from '../lib/logger.ts';
import { ipToString } from '../lib/inet.ts';

/** A real server's health as /metrics shows it. */
export interface ServerHealth {
  readonly service: ServiceKey;
  readonly rip: string;
  readonly rport: number;
  readonly alive: boolean;
  /** Why it last changed state (e.g. "HTTP_GET failed: status 500"); '' before any change. */
  readonly reason: string;
}

export class HealthWiring {
  cfg: HealthConfig;
  monitor: HealthMonitor;
  private byKey: Map<string, Entry>;
  /** Last transition reason per "service|dest". */
  private readonly reasons = new Map<string, string>();

  constructor(
    private readonly table: ServiceTable,
    private readonly log: Logger,
    private readonly path: string,
    private readonly monitorOptions: MonitorOptions = {},
  ) {
    this.cfg = readHealthConfigFile(path);
    this.logWarnings(this.cfg);
    this.byKey = entriesOf(this.cfg);
    this.monitor = this.newMonitor(this.cfg, undefined);
  }

  private newMonitor(cfg: HealthConfig, seed: MonitorOptions['seed']): HealthMonitor {
    const m = new HealthMonitor(toMonitoredServices(cfg), {
      ...this.monitorOptions,
      ...(seed !== undefined ? { seed } : {}),
    });
    m.on('desired', (e: DesiredEvent) => this.apply(e));
    m.on('transition', (e: HealthEvent) => {
      this.reasons.set(`${e.serviceKey}|${e.destKey}`, e.reason);
      this.log.info(e.up ? 'real server up' : 'real server down', {
        service: e.serviceKey,
        dest: e.destKey,
        weight: e.weight,
        reason: e.reason,
      });
    });
    return m;
  }

  /**
   * Reads the file again; throws (changing nothing) when it does not parse. The returned
   * function applies it: removals, edits of the virtual servers' scheduling, checker states
   * carried over for unchanged real servers, then a start as at start-up.
   */
  async prepareReload(): Promise<() => Promise<void>> {
    const next = readHealthConfigFile(this.path);
    return () => {
      this.logWarnings(next);
      return this.applyReload(next);
    };
  }

  /** What keepalived would warn about at load, one log line each. */
  private logWarnings(cfg: HealthConfig): void {
    for (const w of cfg.warnings) this.log.warn('health config', { warning: w });
  }

  private async applyReload(next: HealthConfig): Promise<void> {
    const old = this.byKey;
    const oldMonitor = this.monitor;
    await oldMonitor.stop();
    oldMonitor.removeAllListeners();
    const nextByKey = entriesOf(next);
    const sigs = new Map<string, string>();
    for (const { vs } of old.values())
      for (const rs of vs.realServers) sigs.set(`${vs.monitorKey}|${rs.key}`, signature(rs));
    let removed = 0;
    for (const [k, o] of old) {
      const n = nextByKey.get(k);
      if (this.table.find(o.key) === null) continue;
      if (n === undefined) {
        this.table.deleteService(o.key);
        removed++;
        continue;
      }
      const svc = this.table.find(o.key)!;
      for (const [mk, m] of o.members) {
        if (n.members.has(mk)) continue;
        if (svc.dests.some((d) => d.port === m.port && destAddrIs(d, m.af, m.addr, m.addr6))) {
          this.table.deleteDest(o.key, m.addr, m.port, m.af, m.addr6);
          removed++;
        }
      }
      if (signature(serviceSpecOf(o.vs, o.key)) !== signature(serviceSpecOf(n.vs, n.key)))
        this.table.editService(serviceSpecOf(n.vs, n.key));
    }
    this.cfg = next;
    this.byKey = nextByKey;
    this.monitor = this.newMonitor(next, (svcKey, destKey) => {
      const rs = next.virtualServers.find((v) => v.monitorKey === svcKey)?.realServers.find((r) => r.key === destKey);
      if (rs === undefined || sigs.get(`${svcKey}|${destKey}`) !== signature(rs)) return undefined;
      return oldMonitor.checkerStates(svcKey, destKey);
    });
    this.start();
    this.log.info('health checks reloaded', { file: this.path, virtualServers: next.virtualServers.length, removed });
  }

  /** Create the virtual servers that do not exist yet, apply the initial desired sets, start checking. */
  start(): void {
    for (const { vs, key } of this.byKey.values()) {
      if (this.table.find(key) !== null) continue;
      this.table.addService(serviceSpecOf(vs, key));
      this.log.info('virtual server created from the health config', { service: vs.key });
    }
    this.monitor.start();
    for (const k of new Set([...this.byKey.values()].map((e) => e.vs.monitorKey))) {
      const d = this.monitor.desired(k);
      if (d) this.apply({ serviceKey: k, quorumUp: d.quorumUp, dests: d.dests });
    }
  }

  async stop(): Promise<void> {
    await this.monitor.stop();
  }

  /** States for the `health` control op (tsvsadm's check-state listing). */
  states(): { service: string; dest: string; alive: boolean; weight: number; failures: number }[] {
    const out: { service: string; dest: string; alive: boolean; weight: number; failures: number }[] = [];
    for (const { vs } of this.byKey.values()) {
      for (const rs of vs.realServers) {
        const s = this.monitor.serverState(vs.monitorKey, rs.key);
        if (s) out.push({ service: vs.key, dest: rs.key, alive: s.alive, weight: s.weight, failures: s.numFailed });
      }
    }
    return out;
  }

  /** Every checked real server (also one that is down and out of the table) with its verdict. */
  serverHealth(): ServerHealth[] {
    const out: ServerHealth[] = [];
    for (const { vs, key } of this.byKey.values()) {
      for (const rs of vs.realServers) {
        const s = this.monitor.serverState(vs.monitorKey, rs.key);
        if (s === undefined) continue;
        out.push({
          service: key,
          rip: rs.addr6 !== undefined ? formatInet6(rs.addr6) : ipToString(rs.addr),
          rport: rs.port,
          alive: s.alive,
          reason: this.reasons.get(`${vs.monitorKey}|${rs.key}`) ?? '',
        });
      }
    }
    return out;
  }

  /** A desired set applies to every service the monitor key stands for (each member of a group). */
  private apply(e: DesiredEvent): void {
    for (const entry of this.byKey.values()) if (entry.vs.monitorKey === e.serviceKey) this.applyTo(entry, e);
  }

  private applyTo(entry: Entry, e: DesiredEvent): void {
    const svc = this.table.find(entry.key);
    if (svc === null) return;
    const want = new Map(e.dests.map((d) => [d.key, d.weight]));
    for (const [k, m] of entry.members) {
      const cur = svc.dests.find((d) => d.port === m.port && destAddrIs(d, m.af, m.addr, m.addr6));
      const w = want.get(k);
      const spec: DestSpec = {
        af: m.af,
        addr: m.addr,
        ...(m.addr6 !== undefined ? { addr6: m.addr6 } : {}),
        port: m.port,
        fwd: m.fwd,
        weight: w ?? 0,
        uThreshold: m.uThreshold,
        lThreshold: m.lThreshold,
      };
      try {
        if (w === undefined) {
          if (cur) this.table.deleteDest(entry.key, m.addr, m.port, m.af, m.addr6);
        } else if (!cur) this.table.addDest(entry.key, spec);
        else if (cur.weight !== w || cur.fwd !== m.fwd) this.table.editDest(entry.key, spec);
      } catch (err) {
        this.log.warn('could not apply a health decision', {
          service: e.serviceKey,
          dest: k,
          error: (err as Error).message,
        });
      }
    }
  }
}
