// StartGate: control requests that arrive while tsvsd is still starting. A normal start serves
// the control socket first (so that a second tsvsd fails at once) and only then starts the
// engine, its workers, the sync daemons and the health checks, which register their ops as they
// come up. A request for one of those ops in between (a script's `tsvsadm --start-daemon` right
// after `tsvsd &`, systemd's ExecStartPost) would be told that this tsvsd has no packet engine,
// or that the op is unknown. Held here, it waits for the start to end and is then served by the
// op that start added, or gets the engine-less answer if there is none.

/** The ops tsvsd's start adds (engine, sync daemons, health checks, VRRP). */
const HELD_DURING_START: ReadonlySet<string> = new Set([
  'engine.stats',
  'trace',
  'capture',
  'daemon.list',
  'daemon.start',
  'daemon.stop',
  'health',
  'vrrp.state',
]);

export class StartGate {
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** From now until open(): requests for the ops the start adds wait for it. */
  hold(): void {
    if (this.gate !== null) return;
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** The start is over (or failed and tsvsd exits): held requests go on. */
  open(): void {
    this.openGate?.();
    this.gate = null;
    this.openGate = null;
  }

  /**
   * null (go on at once, in the same tick) unless the start is running and `op` is one it adds
   * but has not added yet (`served` false); then a promise of the start's end.
   */
  before(op: string, served: boolean): Promise<void> | null {
    if (this.gate === null || served || !HELD_DURING_START.has(op)) return null;
    return this.gate;
  }
}
