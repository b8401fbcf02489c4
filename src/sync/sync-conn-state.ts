// The per-connection sync fields of struct ip_vs_conn (old_state, sync_endtime; ip_vs_sync.c),
// kept beside the connection table as columns by conn id, shared by the master (which reads and
// sets them in ip_vs_sync_conn_needed) and the backup (ip_vs_proc_conn sets old_state).

/** Columns by conn id; a slot's values are reset when its entry is seen new. */
export class SyncConnState {
  readonly capacity: number;
  /** cp->old_state: the state at the last sync. */
  readonly oldState: Uint8Array;
  /** cp->sync_endtime without its low bits: now + timeout at the last sync, in ms. */
  readonly endMs: Float64Array;
  /** The low 2 bits of cp->sync_endtime: refresh retries made so far. */
  readonly retries: Uint8Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.oldState = new Uint8Array(capacity);
    this.endMs = new Float64Array(capacity);
    this.retries = new Uint8Array(capacity);
  }

  /** ip_vs_conn_new: old_state 0, sync_endtime = now (only read with sync_refresh_period). */
  reset(id: number, nowMs: number, endtime: boolean): void {
    this.oldState[id] = 0;
    if (endtime) {
      this.endMs[id] = nowMs;
      this.retries[id] = 0;
    }
  }
}
