// Director: one director of the ECMP lab (ecmp-topology.ts): its namespace and state directory,
// tsvsd with the DR rules (mh) in its config, BIRD announcing the VIP, and the VIP announcer
// (`tsvsadm --announce`, src/cli/cli-announce.ts) that enables BIRD's `vip` protocol while tsvsd
// answers with a real server to send to and disables it otherwise.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { isAlive, tryKill } from './netns.ts';
import { RIP1, RIP2, VIP } from './topology.ts';
import { Bird, VIP_PROTOCOL } from './bird.ts';
import { LabDaemon, ROOT, binArgs } from './lab-daemon.ts';
import { ROUTER_SEGMENT_SIDE } from './dr-topology.ts';
import type { SloppyTcp } from '../src/datapath/engine-config.ts';

/** The address of director k (1-based) on the segment: 192.168.99.1k. */
export function directorAddr(k: number): string {
  return `192.168.99.${10 + k}`;
}

/** Director k's full NAT local address (fullnat-address): 192.168.99.2k, its own, owned by its tsvsd. */
export function directorLip(k: number): string {
  return `192.168.99.${20 + k}`;
}

/** What every director of one lab runs: the scheduler of VIP:80, the forwarding and the adoption setting. */
export interface DirectorPolicy {
  /** mh (the default), sh or any scheduler; mh and sh hash the client's port too (-b mh-port / sh-port). */
  readonly sched: string;
  readonly sloppyTcp: SloppyTcp;
  /** dr (the default): -g; fullnat: -F from the director's own local address (directorLip). */
  readonly forward?: 'dr' | 'fullnat';
}

export const DEFAULT_POLICY: DirectorPolicy = { sched: 'mh', sloppyTcp: 'consistent' };

/** One director: its namespace, state directory, tsvsd, BIRD and announcer. */
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
    const fullNat = this.policy.forward === 'fullnat';
    const fwd = fullNat ? '-F' : '-g';
    return `# eth0: the segment. The router sends the VIP's flows here as to a next hop (BGP).
interface eth0 owned ${VIP} subnet ${this.addr}/24 gateway ${ROUTER_SEGMENT_SIDE}
# consistent: adopt flows other directors started, for consistent schedulers (mh, sh).
sloppy-tcp ${this.policy.sloppyTcp}
${fullNat ? `# Full NAT: this director's own local address; the real servers answer it, on the segment.\nfullnat-address ${directorLip(this.k)}\n` : ''}
[rules]
# The same rules, in the same order, on every director: the same Maglev table.
-A -t ${VIP}:80 -s ${this.policy.sched}${portFlag(this.policy.sched)}
-a -t ${VIP}:80 -r ${RIP1}:80 ${fwd} -w 1
-a -t ${VIP}:80 -r ${RIP2}:80 ${fwd} -w 1
`;
  }

  get announcerPidFile(): string {
    return join(this.stateDir, 'announcer.pid');
  }

  get announcerLog(): string {
    return join(this.stateDir, 'announcer.log');
  }

  /** Start tsvsd with the rules of its config, and the announcer on its control socket. */
  async startTsvsd(): Promise<number> {
    mkdirSync(this.stateDir, { recursive: true });
    const pid = await this.daemon.start();
    this.startAnnouncer();
    return pid;
  }

  /** What an operator runs next to tsvsd: `tsvsadm --announce 'birdc enable vip' 'birdc disable vip'`. */
  private startAnnouncer(): void {
    this.stopAnnouncer();
    const birdc = (what: string): string => `birdc -s ${this.bird.ctl} ${what} ${VIP_PROTOCOL}`;
    startLogged(
      [...binArgs('tsvsadm'), '--socket', this.daemon.socket, '--announce', birdc('enable'), birdc('disable')],
      this.announcerLog,
      this.announcerPidFile,
    );
  }

  /** SIGTERM the announcer and wait (bounded) until it has withdrawn and exited. */
  stopAnnouncer(): void {
    stopLogged(this.announcerPidFile);
  }

  /** Lines of the announcer's log: `<ISO time> announce|withdraw (<why>)`. */
  announcerEvents(): { atMs: number; what: string }[] {
    if (!existsSync(this.announcerLog)) return [];
    return readFileSync(this.announcerLog, 'utf8')
      .split('\n')
      .map((l) => /^(\d{4}-\S+Z) (.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ atMs: Date.parse(m[1]!), what: m[2]! }));
  }
}

/** Start `node ARGS` detached, its output appended to logFile, its pid written to pidFile. */
export function startLogged(args: readonly string[], logFile: string, pidFile: string): void {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], detached: true, cwd: ROOT });
  child.unref();
  closeSync(log);
  writeFileSync(pidFile, String(child.pid));
}

/** SIGTERM the process of pidFile and wait (at most 3 s, then SIGKILL) until it has exited. */
export function stopLogged(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!(pid > 0) || !isAlive(pid)) return;
  tryKill(pid, 'SIGTERM');
  for (let i = 0; i < 60 && isAlive(pid); i++) spawnSync('sleep', ['0.05']);
  if (isAlive(pid)) tryKill(pid, 'SIGKILL');
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
