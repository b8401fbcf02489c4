// worker-messages: what the main thread of tsvsd and its data-path threads say to each other
// (engine-workers.ts on the main side, engine-worker.ts in each thread). Plain data only: every
// message crosses postMessage's structured clone.

import type { EngineConfig } from '../datapath/engine-config.ts';
import type { FanoutGroups } from '../io/af-packet.ts';
import type { ConnSnapshot, TimeoutValues } from '../model/data-plane.ts';
import type { ServiceKey, ServiceRule } from '../model/rule-spec.ts';
import type { ConnImport } from '../conn/conn-import.ts';
import type { HandedNeighbour } from './handover.ts';

/**
 * A complete rule set with its version: a worker replaces its service table with it in one step
 * between two batches, so no connection is scheduled against half a change.
 */
export interface RuleSet {
  readonly version: number;
  readonly services: readonly ServiceRule[];
  readonly timeouts: TimeoutValues;
}

/** workerData of a data-path thread. */
export interface WorkerInit {
  /** This worker's member index in every fanout group (its join order) and full-NAT port slice. */
  readonly index: number;
  readonly workers: number;
  /** The [engine] config, with connCapacity already this shard's share. */
  readonly cfg: EngineConfig;
  /** The fanout groups to join, per interface (0: the first worker creates them). */
  readonly groupIds: FanoutGroups;
  readonly rules: RuleSet;
}

/** A worker's connection state (state-reshard.ts): its shard file, and entries dealt to it. */
export interface WorkerState {
  /** The shard's state file, or null (`state-file none`). */
  readonly path: string | null;
  /** The shard's IPv6 table's state file (restore-state6.ts), or null. */
  readonly path6: string | null;
  /** Entries of the files of another worker count, for this worker; null: none. */
  readonly imported: ConnImport | null;
  /** The same for the IPv6 table (`<state-file>6` shards). */
  readonly imported6: ConnImport | null;
}

/** The five counters (STAT_* order of src/metrics/counters.ts). */
export type CounterRow = readonly [number, number, number, number, number];

export interface DestCounters {
  readonly addr: number;
  readonly port: number;
  readonly c: CounterRow;
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
}

export interface ServiceCounters {
  readonly key: ServiceKey;
  readonly c: CounterRow;
  readonly dests: readonly DestCounters[];
}

/** A worker's periodic report: engine counters, the model's counters, its connections. */
export interface WorkerReport {
  readonly index: number;
  /** The thread's Linux id (/proc/PID/task/TID: top -H, taskset -p), 0 when unknown. */
  readonly tid: number;
  readonly rulesVersion: number;
  readonly engine: Readonly<Record<string, unknown>>;
  readonly services: readonly ServiceCounters[];
  /** Its connection entries, or null when the shard holds more than REPORT_CONNS_MAX. */
  readonly conns: readonly ConnSnapshot[] | null;
}

/** Most entries a report lists (-Lnc); a bigger shard reports its count only. */
export const REPORT_CONNS_MAX = 65536;

export type ToWorker =
  /** Attach the shard's state, learn the neighbours (handed over by a predecessor), forward. */
  | { readonly type: 'start'; readonly state: WorkerState; readonly neighbours: readonly HandedNeighbour[] }
  | { readonly type: 'rules'; readonly rules: RuleSet; readonly program: Uint32Array | null }
  | { readonly type: 'neigh'; readonly ip: number; readonly port: number; readonly mac: Uint8Array }
  | { readonly type: 'neigh6'; readonly addr: Uint32Array; readonly port: number; readonly mac: Uint8Array }
  /** Re-attach port now and join its new fanout groups (0: create them; worker 0 does, first). */
  | { readonly type: 'rejoin'; readonly port: number; readonly rx: number; readonly jumbo: number }
  /** A control op for this worker's engine (worker-ops.ts); answered by 'opReply' with the same id. */
  | {
      readonly type: 'op';
      readonly id: number;
      readonly op: WorkerOp;
      readonly args: Readonly<Record<string, unknown>>;
    }
  /** A datagram the backup sync daemon's socket received, for this worker's SyncBackup (worker-sync.ts). */
  | { readonly type: 'syncMessage'; readonly data: Uint8Array }
  | { readonly type: 'stop' };

/** The control ops a worker's engine answers itself (worker-ops.ts; 'sync': worker-sync.ts). */
export type WorkerOp = 'trace' | 'capture' | 'standby' | 'sync';

export type FromWorker =
  | { readonly type: 'joined'; readonly groupIds: FanoutGroups }
  | { readonly type: 'started' }
  | { readonly type: 'applied'; readonly version: number }
  | { readonly type: 'neigh'; readonly ip: number; readonly port: number; readonly mac: Uint8Array }
  | { readonly type: 'neigh6'; readonly addr: Uint32Array; readonly port: number; readonly mac: Uint8Array }
  | { readonly type: 'report'; readonly report: WorkerReport }
  /** A line of the worker's logger (JSON: time, level, msg, fields), for the daemon's log. */
  | { readonly type: 'log'; readonly json: string }
  /** Port's interface returned (as ifindex): the main thread has every worker rejoin, in order. */
  | { readonly type: 'portBack'; readonly port: number; readonly ifindex: number }
  /** Done with a rejoin: the groups' ids, or why not (error non-empty). */
  | {
      readonly type: 'rejoined';
      readonly port: number;
      readonly ifindex: number;
      readonly rx: number;
      readonly jumbo: number;
      readonly error: string;
    }
  /** The answer to an 'op': its result, or why it failed (error non-empty). */
  | { readonly type: 'opReply'; readonly id: number; readonly result: unknown; readonly error: string }
  | { readonly type: 'error'; readonly message: string };
