// HealthWiring: what keepalived's ipwrapper.c does to IPVS, done to tsvs's service table. The
// health config (keepalived.conf syntax, src/health/config.ts) defines virtual servers and their
// real servers; the monitor's checkers report, the policy decides the desired set (alive servers
// with their weights, weight 0 for inhibit_on_failure, the sorry server when quorum is lost),
// and this class makes the table match it: add, edit the weight, or remove.

import { readFileSync } from 'node:fs';
import { AF_INET, FWD_MASQ, FWD_ROUTE, FWD_TUNNEL } from '../model/dest.ts';
import { SVC_F_ONEPACKET, SVC_F_PERSISTENT } from '../model/service.ts';
import type { DestSpec, ServiceKey } from '../model/rule-spec.ts';
import type { ServiceTable } from '../model/service-table.ts';
import { parseHealthConfig, type HealthConfig, type VirtualServerConfig } from '../health/config.ts';
import { HealthMonitor } from '../health/monitor.ts';
import type { DesiredEvent, HealthEvent } from '../health/monitor-types.ts';
import { toMonitoredServices } from '../health/registry.ts';
import type { Logger } from '../lib/logger.ts';

const METHOD = { NAT: FWD_MASQ, DR: FWD_ROUTE, TUN: FWD_TUNNEL } as const;

interface Member {
  addr: number;
  port: number;
  fwd: number;
  uThreshold: number;
  lThreshold: number;
}

export class HealthWiring {
  readonly cfg: HealthConfig;
  readonly monitor: HealthMonitor;
  private readonly byKey = new Map<
    string,
    { vs: VirtualServerConfig; key: ServiceKey; members: Map<string, Member> }
  >();

  constructor(
    private readonly table: ServiceTable,
    private readonly log: Logger,
    path: string,
  ) {
    this.cfg = parseHealthConfig(readFileSync(path, 'utf8'), path);
    for (const vs of this.cfg.virtualServers) {
      const key: ServiceKey = {
        af: AF_INET,
        protocol: vs.fwmark !== 0 ? 0 : vs.protocol,
        addr: vs.fwmark !== 0 ? 0 : vs.addr,
        port: vs.fwmark !== 0 ? 0 : vs.port,
        fwmark: vs.fwmark,
      };
      const members = new Map<string, Member>();
      for (const rs of vs.realServers) {
        members.set(rs.key, {
          addr: rs.addr,
          port: rs.port,
          fwd: METHOD[rs.method],
          uThreshold: rs.uThreshold,
          lThreshold: rs.lThreshold,
        });
      }
      if (vs.sorryServer)
        members.set(vs.sorryServer.key, {
          addr: vs.sorryServer.addr,
          port: vs.sorryServer.port,
          fwd: METHOD[vs.method],
          uThreshold: 0,
          lThreshold: 0,
        });
      this.byKey.set(vs.key, { vs, key, members });
    }
    this.monitor = new HealthMonitor(toMonitoredServices(this.cfg));
    this.monitor.on('desired', (e: DesiredEvent) => this.apply(e));
    this.monitor.on('transition', (e: HealthEvent) =>
      this.log.info(e.up ? 'real server up' : 'real server down', {
        service: e.serviceKey,
        dest: e.destKey,
        weight: e.weight,
        reason: e.reason,
      }),
    );
  }

  /** Create the virtual servers that do not exist yet, apply the initial desired sets, start checking. */
  start(): void {
    for (const { vs, key } of this.byKey.values()) {
      if (this.table.find(key) !== null) continue;
      const flags = (vs.persistenceTimeoutSec > 0 ? SVC_F_PERSISTENT : 0) | (vs.ops ? SVC_F_ONEPACKET : 0);
      this.table.addService({
        ...key,
        schedName: vs.sched,
        flags,
        timeoutSec: vs.persistenceTimeoutSec || 300,
        netmask: vs.persistenceGranularity >>> 0 || 0xffffffff,
        peName: '',
      });
      this.log.info('virtual server created from the health config', { service: vs.key });
    }
    this.monitor.start();
    for (const k of this.byKey.keys()) {
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
        const s = this.monitor.serverState(vs.key, rs.key);
        if (s) out.push({ service: vs.key, dest: rs.key, alive: s.alive, weight: s.weight, failures: s.numFailed });
      }
    }
    return out;
  }

  private apply(e: DesiredEvent): void {
    const entry = this.byKey.get(e.serviceKey);
    if (!entry) return;
    const svc = this.table.find(entry.key);
    if (svc === null) return;
    const want = new Map(e.dests.map((d) => [d.key, d.weight]));
    for (const [k, m] of entry.members) {
      const cur = svc.dests.find((d) => d.addr === m.addr && d.port === m.port);
      const w = want.get(k);
      const spec: DestSpec = {
        af: AF_INET,
        addr: m.addr,
        port: m.port,
        fwd: m.fwd,
        weight: w ?? 0,
        uThreshold: m.uThreshold,
        lThreshold: m.lThreshold,
      };
      try {
        if (w === undefined) {
          if (cur) this.table.deleteDest(entry.key, m.addr, m.port);
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
