// ResilientWatcher: starts and stops lab/resilient-nexthops.ts for the ECMP lab's router (a
// detached process with a pid file and a log in the router's state directory), and the settings
// of the group it builds.

import { join } from 'node:path';
import { labScript, startLogged, stopLogged } from './ecmp-director.ts';

/** The router's kernel table BIRD writes to when resilient-nexthops.ts builds the main route. */
export const RESILIENT_TABLE = 100;
/** Buckets of the resilient group, and how long (s) a bucket must be idle to move to a new next hop. */
export const RESILIENT_BUCKETS = 128;
export const RESILIENT_IDLE_S = 60;

export class ResilientWatcher {
  readonly pidFile: string;
  readonly logFile: string;

  constructor(
    readonly routerNs: string,
    dir: string,
  ) {
    this.pidFile = join(dir, 'resilient-nexthops.pid');
    this.logFile = join(dir, 'resilient-nexthops.log');
  }

  /** Start the watcher; it reads BIRD's table at once and then follows `ip monitor route`. */
  start(): void {
    this.stop();
    const args = [String(RESILIENT_TABLE), String(RESILIENT_BUCKETS), String(RESILIENT_IDLE_S)];
    startLogged([...labScript('resilient-nexthops'), this.routerNs, ...args], this.logFile, this.pidFile);
  }

  stop(): void {
    stopLogged(this.pidFile);
  }
}
