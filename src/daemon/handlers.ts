// ControlHandlers: the operations of the control socket, mapped onto the service table (the
// set commands of ip_vs_genl_set_cmd() in ip_vs_ctl.c) and onto the DataPlane for what only
// the engine knows. Every change that the rules file holds is persisted before the reply.

import { TsvsError } from '../lib/errors.ts';
import type { ServiceTable } from '../model/service-table.ts';
import { ipvsError } from '../model/ipvs-errors.ts';
import type { DataPlane } from '../model/data-plane.ts';
import { IPVS_VERSION, TSVS_VERSION } from '../ipvsadm/usage.ts';
import {
  asObject,
  badRequest,
  connToWire,
  destKeyFromWire,
  destSpecFromWire,
  serviceKeyFromWire,
  serviceSpecFromWire,
  serviceToInfo,
  timeoutsFromWire,
  timeoutsToWire,
  toWireError,
} from '../wire/wire-convert.ts';
import type { BatchItemResult, DaemonInfo, ListResult } from '../wire/wire.ts';

export interface MutationContext {
  readonly table: ServiceTable;
  /** The data plane in use now (the daemon may swap it). */
  dataPlane(): DataPlane;
}

export interface HandlerContext extends MutationContext {
  /** Saves the rules file; rejects with ERULES_WRITE. */
  persist(): Promise<void>;
}

/** Ops that change state, and may appear in a batch; true when the rules file must be saved. */
const MUTATIONS: Readonly<Record<string, (ctx: MutationContext, args: Record<string, unknown>) => boolean>> = {
  'service.add': (ctx, a) => (ctx.table.addService(serviceSpecFromWire(a['service'])), true),
  'service.edit': (ctx, a) => (ctx.table.editService(serviceSpecFromWire(a['service'])), true),
  'service.del': (ctx, a) => (ctx.table.deleteService(serviceKeyFromWire(a['service'])), true),
  clear: (ctx) => (ctx.table.clear(), true),
  'dest.add': (ctx, a) => (ctx.table.addDest(serviceKeyFromWire(a['service']), destSpecFromWire(a['dest'])), true),
  'dest.edit': (ctx, a) => (ctx.table.editDest(serviceKeyFromWire(a['service']), destSpecFromWire(a['dest'])), true),
  'dest.del': (ctx, a) => {
    const d = destKeyFromWire(a['dest']);
    ctx.table.deleteDest(serviceKeyFromWire(a['service']), d.addr, d.port, d.af, d.addr6);
    return true;
  },
  'timeouts.set': (ctx, a) => {
    // ip_vs_set_timeout(): a zero leaves that timeout as it is.
    const t = timeoutsFromWire(a['timeouts']);
    const dp = ctx.dataPlane();
    const cur = dp.timeouts();
    dp.setTimeouts({ tcpSec: t.tcp || cur.tcpSec, tcpFinSec: t.tcpFin || cur.tcpFinSec, udpSec: t.udp || cur.udpSec });
    return true;
  },
  zero: (ctx, a) => {
    const key = a['service'] === undefined ? null : serviceKeyFromWire(a['service']);
    ctx.dataPlane().zeroStats(ctx.table.zero(key));
    return false; // counters are not part of the rules file
  },
};

export const MAX_BATCH = 100_000;

export function isMutation(op: string): boolean {
  return Object.hasOwn(MUTATIONS, op);
}

/** Applies one state-changing op without saving; returns whether the rules file changed. */
export function applyMutation(ctx: MutationContext, op: string, args: Record<string, unknown> = {}): boolean {
  const mutate = Object.hasOwn(MUTATIONS, op) ? MUTATIONS[op] : undefined;
  if (mutate === undefined) throw badRequest(`op ${JSON.stringify(op)} cannot be batched`);
  return mutate(ctx, args);
}

export class ControlHandlers {
  private readonly ctx: HandlerContext;

  constructor(ctx: HandlerContext) {
    this.ctx = ctx;
  }

  info(): DaemonInfo {
    return {
      ipvsVersion: IPVS_VERSION,
      connTableSize: this.ctx.dataPlane().connTableSize(),
      tsvsVersion: TSVS_VERSION,
    };
  }

  /** Runs one op; throws TsvsError (kernel errno names, EBADREQ, EBADOP, ENOSYS, ERULES_WRITE). */
  async handle(op: string, rawArgs: unknown): Promise<unknown> {
    const args = rawArgs === undefined ? {} : asObject(rawArgs, 'args');
    if (isMutation(op)) {
      if (applyMutation(this.ctx, op, args)) await this.ctx.persist();
      return {};
    }
    switch (op) {
      case 'ping':
        return {};
      case 'info':
        return this.info();
      case 'list':
        return this.list(args);
      case 'conns':
        return this.ctx.dataPlane().connections().map(connToWire);
      case 'timeouts.get':
        return timeoutsToWire(this.ctx.dataPlane().timeouts());
      case 'batch':
        return this.batch(args);
      case 'daemon.list':
        return []; // no packet engine: no sync daemon (with one, src/daemon/sync-daemon.ts serves these ops)
      case 'daemon.start':
      case 'daemon.stop':
        throw new TsvsError(
          'ENOENGINE',
          'connection synchronization (--start-daemon/--stop-daemon) needs the packet engine; this tsvsd runs without one',
        );
      default:
        throw new TsvsError('EBADOP', `unknown op ${JSON.stringify(op)}`);
    }
  }

  private list(args: Record<string, unknown>): ListResult {
    const dp = this.ctx.dataPlane();
    if (args['service'] !== undefined) {
      const svc = this.ctx.table.find(serviceKeyFromWire(args['service']));
      if (svc === null) throw ipvsError('get-service', 'ESRCH');
      return { info: this.info(), services: [serviceToInfo(svc, dp)] };
    }
    return { info: this.info(), services: this.ctx.table.dumpOrder().map((s) => serviceToInfo(s, dp)) };
  }

  /** Applies each request in order, like ipvsadm -R does line by line; persists once. */
  private async batch(args: Record<string, unknown>): Promise<{ results: BatchItemResult[] }> {
    const reqs = args['requests'];
    if (!Array.isArray(reqs) || reqs.length > MAX_BATCH)
      throw badRequest(`requests must be an array of at most ${MAX_BATCH} items`);
    const results: BatchItemResult[] = [];
    let dirty = false;
    for (const r of reqs) {
      try {
        const o = asObject(r, 'request');
        const op = typeof o['op'] === 'string' ? o['op'] : '';
        if (applyMutation(this.ctx, op, o['args'] === undefined ? {} : asObject(o['args'], 'args'))) dirty = true;
        results.push({ ok: true });
      } catch (e) {
        results.push({ ok: false, error: toWireError(e) });
      }
    }
    if (dirty) await this.ctx.persist();
    return { results };
  }
}
