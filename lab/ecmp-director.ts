// Director: one director of the ECMP lab (ecmp-topology.ts): its namespace and state directory,
// tsvsd with the DR rules (mh) in its config, BIRD announcing the VIP, and the VIP announcer
// (vip-announcer.ts) tied to this tsvsd's PID.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { isAlive, tryKill } from './netns.ts';
import { RIP1, RIP2, VIP } from './topology.ts';
import { Bird } from './bird.ts';
import { LabDaemon, ROOT } from './lab-daemon.ts';
import { ROUTER_SEGMENT_SIDE } from './dr-topology.ts';
import type { SloppyTcp } from '../src/datapath/engine-config.ts';

/** The address of director k (1-based) on the segment: 192.168.99.1k. */
export function directorAddr(k: number): string {
  return `192.168.99.${10 + k}`;
}

/** One director: its namespace, state directory, tsvsd, BIRD and announcer. */
/** What every director of one lab runs: the scheduler of VIP:80 and the adoption setting. */
export interface DirectorPolicy {
  /** mh (the default), sh or any scheduler; mh and sh hash the client's port too (-b mh-port / sh-port). */
  readonly sched: string;
  readonly sloppyTcp: SloppyTcp;
}

export const DEFAULT_POLICY: DirectorPolicy = { sched: 'mh', sloppyTcp: 'consistent' };

export class Director {
  /** The LabDaemon's prefix: never the lab's own, so each director gets its own control socket. */
  readonly prefix: string;
  readonly lvs: string;
  readonly stateDir: string;
  readonly addr: string;
  readonly daemon: LabDaemon;
  readonly bird: Bird;

  constructor(
    labPrefix: string,
    readonly k: number,
    labDir: string,
    readonly policy: DirectorPolicy = DEFAULT_POLICY,
  ) {
    this.prefix = `${labPrefix}-lvs${k}`;
    this.lvs = `${labPrefix}-lvs${k}`;
    this.stateDir = join(labDir, `lvs${k}`);
    this.addr = directorAddr(k);
    this.daemon = new LabDaemon(this);
    this.bird = new Bird(this.lvs, this.stateDir);
  }

  engineConfig(): string {
    return `# eth0: the segment. The router sends the VIP's flows here as to a next hop (BGP).
interface eth0 owned ${VIP} subnet ${this.addr}/24 gateway ${ROUTER_SEGMENT_SIDE}
# consistent: adopt flows other directors started, for consistent schedulers (mh, sh).
sloppy-tcp ${this.policy.sloppyTcp}

[rules]
# The same rules, in the same order, on every director: the same Maglev table.
-A -t ${VIP}:80 -s ${this.policy.sched}${portFlag(this.policy.sched)}
-a -t ${VIP}:80 -r ${RIP1}:80 -g -w 1
-a -t ${VIP}:80 -r ${RIP2}:80 -g -w 1
`;
  }

  get announcerPidFile(): string {
    return join(this.stateDir, 'announcer.pid');
  }

  get announcerLog(): string {
    return join(this.stateDir, 'announcer.log');
  }

  /** Start tsvsd with the DR rules (mh) of its config, and the announcer tied to its PID. */
  async startTsvsd(): Promise<number> {
    mkdirSync(this.stateDir, { recursive: true });
    const pid = await this.daemon.start();
    this.startAnnouncer(pid);
    return pid;
  }

  private startAnnouncer(tsvsdPid: number): void {
    this.stopAnnouncer();
    const log = openSync(this.announcerLog, 'a');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.lvs,
        process.execPath,
        ...labScript('vip-announcer'),
        String(tsvsdPid),
        this.daemon.socket,
        this.bird.ctl,
      ],
      { stdio: ['ignore', log, log], detached: true, cwd: ROOT },
    );
    child.unref();
    closeSync(log);
    writeFileSync(this.announcerPidFile, String(child.pid));
  }

  stopAnnouncer(): void {
    if (!existsSync(this.announcerPidFile)) return;
    const pid = Number(readFileSync(this.announcerPidFile, 'utf8').trim());
    if (pid > 0 && isAlive(pid)) tryKill(pid, 'SIGTERM');
  }

  /** Lines of the announcer's log: `<epoch ms> announce|withdraw <why>`. */
  announcerEvents(): { atMs: number; what: string }[] {
    if (!existsSync(this.announcerLog)) return [];
    return readFileSync(this.announcerLog, 'utf8')
      .split('\n')
      .map((l) => /^(\d+) (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ atMs: Number(m[1]), what: m[2]! }));
  }
}

/** The node command line for a lab script (built JS under npm run lab, the source in tests). */
export function labScript(name: string): string[] {
  const script = new URL(`./${name}.ts`, import.meta.url).pathname;
  const js = script.replace(/\.ts$/, '.js');
  return existsSync(js) ? [js] : ['--import', 'tsx', script];
}

/** mh and sh hash the source address only unless told to add the port (ip_vs_mh.c, ip_vs_sh.c). */
function portFlag(sched: string): string {
  return sched === 'mh' ? ' -b mh-port' : sched === 'sh' ? ' -b sh-port' : '';
}
